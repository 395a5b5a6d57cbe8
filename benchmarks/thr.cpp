// thr: PUSH -> PULL throughput, timed at the receiver from the first message
// to the last, as libzmq's local_thr does. The sender is a plain blocking
// libzmq loop on another thread, or (--procs) in another process.
#include "bench.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <new>
#include <optional>
#include <sstream>
#include <string_view>
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

// Receives count messages with the variant on a PULL bound to endpoint;
// start_sender(the bound endpoint) runs once the receiver waits.
thr_run measure(const std::string& variant, zmq::context_t& context, std::string endpoint, std::int64_t count,
                const std::function<void(const std::string&)>& start_sender) {
    receive_setup setup{context, zmq::socket_type::pull, 1,
                        [&](zmq::socket_ref s, int) {
                            s.bind(endpoint);
                            endpoint = s.get(zmq::sockopt::last_endpoint);
                        },
                        [&] { start_sender(endpoint); }};
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
    remove_ipc_file(endpoint);
    return r;
}

thr_run run_once(const std::string& variant, const std::string& transport, std::int64_t count, std::size_t size,
                 bool procs) {
    zmq::context_t context;
    std::optional<sender> feed;
    const thr_run r = measure(variant, context, fresh_endpoint(transport), count, [&](const std::string& endpoint) {
        feed.emplace(context, endpoint, count, size, procs);
    });
    feed->finish();
    return r;
}

void record(report& out, const params& p, const std::string& variant, std::int64_t count, std::size_t size,
            const thr_run& r, bool whole_process) {
    row& x = out.at("thr", p, variant, "msgs_per_s", true);
    const double rate = static_cast<double>(count - 1) / r.seconds;
    x.record("msgs_per_s", rate);
    x.record("MB_per_s", rate * static_cast<double>(size) / 1e6);
    x.record("rx_thread_cpu_ns_per_msg", r.thread_cpu * 1e9 / static_cast<double>(count - 1));
    if (whole_process) x.record("rx_process_cpu_ns_per_msg", r.process_cpu * 1e9 / static_cast<double>(count - 1));
}

std::vector<std::size_t> sizes_of(const options& opt) {
    if (!opt.sizes.empty()) return opt.sizes;
    return opt.quick ? std::vector<std::size_t>{16, 4096} : std::vector<std::size_t>{16, 256, 4096, 65536};
}

// A zring sender: a coroutine awaiting each send, on the variant's backend.
void send_messages_zring(const std::string& variant, zmq::context_t& context, const std::string& endpoint,
                         std::int64_t count, std::size_t size, const std::function<void()>& before_close) {
    zring::scheduler s(scheduler_options_for(variant));
    zring::socket push(s, context, zmq::socket_type::push);
    push.connect(endpoint);
    s.run([](zring::socket& push, std::int64_t count, std::size_t size) -> zring::task<void> {
        const std::string payload(size, 'x');
        for (std::int64_t i = 0; i < count; ++i) co_await push.send(zmq::message_t(payload.data(), payload.size()));
    }(push, count, size));
    before_close();
}

std::int64_t message_count(std::size_t size, bool quick) {
    if (quick) return size >= 65536 ? 1'000 : size >= 4096 ? 5'000 : 20'000;
    return size >= 65536 ? 20'000 : size >= 4096 ? 200'000 : size >= 256 ? 1'000'000 : 2'000'000;
}

// ---- across hosts, as libzmq's local_thr and remote_thr ----
//
// The receiver binds a REP control socket at --bind; the sender connects a
// REQ to it and asks for work ("zring-bench thr ready VARIANT"). For each
// run the receiver binds a fresh PULL beside the control socket and answers
// "run COUNT SIZE ENDPOINT"; the sender pushes COUNT messages there, then
// asks again ("sent"), keeping its socket open until answered, since the
// answer means all arrived. "end" ends the sender.

constexpr std::string_view sender_hello = "zring-bench thr ready ";

void thr_receiver(const options& opt, report& out) {
    zmq::context_t context;
    zmq::socket_t control(context, zmq::socket_type::rep);
    control.bind(opt.bind);
    announce_listening(control);
    zmq::message_t hello;
    (void)control.recv(hello);
    if (hello.to_string_view().rfind(sender_hello, 0) != 0) {
        (void)control.send(zmq::str_buffer("zring-bench: this is thr --role recv"), zmq::send_flags::none);
        throw std::runtime_error("thr --role recv: a peer that is not a thr --role send connected (it said '" +
                                 hello.to_string() + "')");
    }
    const std::string sender_variant = hello.to_string().substr(sender_hello.size());
    watchdog::start(std::chrono::seconds(120));
    const std::string transport = opt.bind.substr(0, opt.bind.find(':'));
    role_progress told("thr --role recv", sizes_of(opt).size(), selected_variants(opt).size(), opt.repeat);
    for (const std::size_t size : sizes_of(opt)) {
        const std::int64_t count = message_count(size, opt.quick);
        const params p{{"size", std::to_string(size)},
                       {"transport", transport},
                       {"sender", "remote " + sender_variant},
                       {"msgs", std::to_string(count)}};
        for (int rep = 1; rep <= opt.repeat; ++rep) {
            progress("thr", p, rep, opt.repeat);
            for (const auto& variant : selected_variants(opt)) {
                watchdog::note("thr --role recv: " + variant + ", " + std::to_string(size) + " B, repetition " +
                               std::to_string(rep));  // a slow link may take minutes per repetition
                const thr_run r =
                    measure(variant, context, data_endpoint(opt.bind), count, [&](const std::string& endpoint) {
                        const std::string work =
                            "run " + std::to_string(count) + " " + std::to_string(size) + " " + endpoint;
                        (void)control.send(zmq::buffer(work), zmq::send_flags::none);
                    });
                zmq::message_t sent;
                (void)control.recv(sent);  // the sender is done, and waits for the next run
                record(out, p, variant, count, size, r, false);
                told.finished(variant, size, rep);
            }
        }
    }
    (void)control.send(zmq::str_buffer("end"), zmq::send_flags::none);
    remove_ipc_file(opt.bind);
}

void thr_sender(const options& opt) {
    const std::string variant = opt.variants.empty() ? "raw" : opt.variants.front();
    zmq::context_t context;
    zmq::socket_t control(context, zmq::socket_type::req);
    control.connect(opt.connect);
    std::string work = handshake(control, std::string(sender_hello) + variant, opt.connect, "thr --role recv");
    watchdog::start(std::chrono::seconds(120));
    for (int runs = 1; work != "end"; ++runs) {
        // "run COUNT SIZE ENDPOINT" (the endpoint last: an ipc path may hold spaces)
        std::istringstream in(work);
        std::string word, endpoint;
        std::int64_t count = 0;
        std::size_t size = 0;
        if (!(in >> word >> count >> size) || word != "run" || !std::getline(in >> std::ws, endpoint))
            throw std::runtime_error("thr --role send: " + opt.connect + " sent '" + work +
                                     "': not a thr --role recv, or another version");
        endpoint = reachable(endpoint, opt.connect);
        note_progress("thr --role send: run " + std::to_string(runs) + ", " + std::to_string(count) + " x " +
                      std::to_string(size) + " B to " + endpoint);
        const auto next = [&] { work = request_reply(control, "sent"); };
        if (variant == "raw")
            send_messages(context, endpoint, count, size, next);
        else
            send_messages_zring(variant, context, endpoint, count, size, next);
    }
}

}  // namespace

void thr(const options& opt, report& out) {
    if (opt.role == "recv") return thr_receiver(opt, out);
    if (opt.role == "send") return thr_sender(opt);
    const std::vector<std::size_t> sizes = sizes_of(opt);
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
                    record(out, p, variant, count, size, run_once(variant, transport, count, size, opt.procs), opt.procs);
                }
            }
        }
    }
}

}  // namespace bench
