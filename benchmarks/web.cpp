#include "web.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace bench::web {

bool can_run(const std::string& command) { return std::system(("{ " + command + "; } > /dev/null 2>&1").c_str()) == 0; }

bool have_python_modules(const std::string& modules) {
    std::string imports;
    for (std::size_t at = 0; at < modules.size();) {
        const std::size_t space = std::min(modules.find(' ', at), modules.size());
        imports += "import " + modules.substr(at, space - at) + ";";
        at = space + 1;
    }
    return can_run(std::string(python) + " -c '" + imports + "'");
}

std::string pinned_to(int core) {
    static const bool can = std::thread::hardware_concurrency() >= 2 && can_run("command -v taskset");
    return can ? "taskset -c " + std::to_string(core) + " " : "";
}

std::string command_output(const std::string& command, const std::string& what) {
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
    if (!p) throw std::runtime_error(what + ": cannot run " + command);
    std::string output;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, p.get())) output.append(buffer, n);
    return output;
}

std::string self_path() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) throw std::runtime_error("zring-bench: cannot find its own path");
    return std::string(path, static_cast<std::size_t>(n));
}

server_process::server_process(std::vector<std::string> command, const std::string& what) {
    if (!pinned_to(1).empty()) command.insert(command.begin(), {"taskset", "-c", "1"});
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category(), what + ": pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        throw std::system_error(rc, std::system_category(), what + ": starting the server");
    }
    // Kept open while the server runs: a later line must not kill it with SIGPIPE.
    output_ = out[0];
    // "listening on PORT", the first line it writes, within a minute.
    std::string line;
    char c;
    pollfd readable{output_, POLLIN, 0};
    while (::poll(&readable, 1, 60'000) == 1 && ::read(output_, &c, 1) == 1 && c != '\n') line.push_back(c);
    const std::size_t space = line.rfind(' ');
    const bool said_port = line.rfind("listening on", 0) == 0 && space != std::string::npos &&
                           line.find_first_not_of("0123456789", space + 1) == std::string::npos && space + 1 < line.size() &&
                           line.size() - space - 1 <= 5;
    if (!said_port) {
        stop();
        throw std::runtime_error(what + ": the server said '" + line + "', not its port");
    }
    port_ = std::stoi(line.substr(space + 1));
}

server_process::~server_process() { stop(); }

void server_process::stop() noexcept {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(output_);
}

std::size_t resident_bytes_of(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            std::size_t kib = 0;
            status >> kib;
            return kib * 1024;
        }
        status.ignore(4096, '\n');
    }
    throw std::runtime_error("zring-bench: no VmRSS for process " + std::to_string(pid));
}

}  // namespace bench::web
