// thr: PUSH -> PULL throughput, timed at the receiver from the first message
// to the last, as libzmq's local_thr does. The sender is a plain blocking
// libzmq loop on another thread, or (--procs) in another process.
#include "bench.hpp"
#include "receivers.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <new>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace bench {

namespace {

struct thr_run {
    double seconds = 0;      // first to last message
    double thread_cpu = 0;   // the receiving thread
    double process_cpu = 0;  // the receiving process (senders in it too, unless --procs)
};

// The sender, on a thread or in a child process, until finish(): only then
// may it close its socket (see send_messages).
class sender {
public:
    sender(zmq::context_t& context, const std::string& endpoint, std::int64_t count, std::size_t size, bool procs) {
        if (!procs) {
            thread_ = std::thread([&context, endpoint, count, size, done = done_.get_future()]() mutable {
                send_messages(context, endpoint, count, size, [&] { done.wait(); });
            });
            return;
        }
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category(), "thr: pipe");
        hold_fd_ = fds[1];
        std::vector<std::string> args{"zring-bench", "_sender", endpoint, std::to_string(count), std::to_string(size)};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
        const int rc = posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[0]);
        if (rc != 0) {
            ::close(hold_fd_);
            throw std::system_error(rc, std::system_category(), "thr: starting the sender process");
        }
    }
    sender(const sender&) = delete;
    sender& operator=(const sender&) = delete;
    ~sender() {
        if (!finished_) finish(std::nothrow);
    }

    // Lets the sender close and waits for it; throws if the sender process failed.
    void finish() {
        if (!finish(std::nothrow)) throw std::runtime_error("thr: the sender process failed");
    }

private:
    bool finish(std::nothrow_t) noexcept {
        finished_ = true;
        if (thread_.joinable()) {
            done_.set_value();
            thread_.join();
            return true;
        }
        ::close(hold_fd_);
        int status = 0;
        return waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

    std::promise<void> done_;
    std::thread thread_;
    pid_t pid_ = -1;
    int hold_fd_ = -1;
    bool finished_ = false;
};

thr_run run_once(const std::string& variant, const std::string& transport, std::int64_t count, std::size_t size,
                 bool procs) {
    zmq::context_t context;
    std::string endpoint = fresh_endpoint(transport);
    std::optional<sender> feed;
    receive_setup setup{context, zmq::socket_type::pull, 1,
                        [&](zmq::socket_ref s, int) {
                            s.bind(endpoint);
                            endpoint = s.get(zmq::sockopt::last_endpoint);
                        },
                        [&] { feed.emplace(context, endpoint, count, size, procs); }};
    thr_run r;
    std::int64_t received = 0;
    clock::time_point start;
    double thread_cpu0 = 0, process_cpu0 = 0;
    receive(variant, setup, [&](int) {
        if (++received == 1) {
            start = clock::now();
            thread_cpu0 = thread_cpu_seconds();
            process_cpu0 = process_cpu_seconds();
        }
        if (received < count) return true;
        r.seconds = seconds_between(start, clock::now());
        r.thread_cpu = thread_cpu_seconds() - thread_cpu0;
        r.process_cpu = process_cpu_seconds() - process_cpu0;
        return false;
    });
    feed->finish();
    return r;
}

std::int64_t message_count(std::size_t size, bool quick) {
    if (quick) return size >= 65536 ? 1'000 : size >= 4096 ? 5'000 : 20'000;
    return size >= 65536 ? 20'000 : size >= 4096 ? 200'000 : size >= 256 ? 1'000'000 : 2'000'000;
}

}  // namespace

void thr(const options& opt, report& out) {
    std::vector<std::size_t> sizes = opt.sizes;
    if (sizes.empty())
        sizes = opt.quick ? std::vector<std::size_t>{16, 4096} : std::vector<std::size_t>{16, 256, 4096, 65536};
    std::vector<std::string> transports = opt.transports;
    if (transports.empty()) transports = {"inproc", "ipc", "tcp"};
    for (const auto& transport : transports) {
        if (opt.procs && transport == "inproc") continue;  // inproc does not cross processes
        for (const std::size_t size : sizes) {
            const std::int64_t count = message_count(size, opt.quick);
            const params p{{"size", std::to_string(size)},
                           {"transport", transport},
                           {opt.procs ? "procs" : "threads", ""},
                           {"msgs", std::to_string(count)}};
            for (int rep = 1; rep <= opt.repeat; ++rep) {
                progress("thr", p, rep, opt.repeat);
                // Variants interleave so that drift in the machine hits each alike.
                for (const auto& variant : selected_variants(opt)) {
                    const thr_run r = run_once(variant, transport, count, size, opt.procs);
                    row& x = out.at("thr", p, variant, "msgs_per_s", true);
                    const double rate = static_cast<double>(count - 1) / r.seconds;
                    x.record("msgs_per_s", rate);
                    x.record("MB_per_s", rate * static_cast<double>(size) / 1e6);
                    x.record("rx_thread_cpu_ns_per_msg", r.thread_cpu * 1e9 / static_cast<double>(count - 1));
                    if (opt.procs)
                        x.record("rx_process_cpu_ns_per_msg", r.process_cpu * 1e9 / static_cast<double>(count - 1));
                }
            }
        }
    }
}

}  // namespace bench
