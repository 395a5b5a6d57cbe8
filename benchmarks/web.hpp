#pragma once
// What the web benchmarks (http, ws, sse) share: each server runs in a
// process of its own pinned to core 1, the load (wrk, or zring-bench's own
// clients) to core 0, since the machines this runs on have two.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace bench::web {

inline constexpr const char* python = "/usr/bin/python3";  // Debian's, with python3-tornado and python3-zmq
// For a client to connect and be answered: a loaded Python server takes its time.
inline constexpr std::chrono::seconds setup_limit{60};

// Whether the shell command succeeds (its output discarded).
bool can_run(const std::string& command);
// Whether Debian's python imports these modules ("tornado.web zmq").
bool have_python_modules(const std::string& modules);
// "taskset -c CORE " where there are two cores and taskset, else "".
std::string pinned_to(int core);
// The command's standard output (its error output too); what names it in errors.
std::string command_output(const std::string& command, const std::string& what);
// This program, for a child that runs one of its hidden commands.
std::string self_path();
// A process's resident set, from /proc.
std::size_t resident_bytes_of(pid_t pid);

// A server process, pinned to core 1, killed when this goes. Its first
// line of output must be "listening on PORT".
class server_process {
public:
    server_process(std::vector<std::string> command, const std::string& what);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;
    int port() const { return port_; }
    pid_t pid() const { return pid_; }  // the server's own: taskset execs it

private:
    void stop() noexcept;

    pid_t pid_ = -1;
    int port_ = 0;
    int output_ = -1;  // the read end of its standard output
};

}  // namespace bench::web
