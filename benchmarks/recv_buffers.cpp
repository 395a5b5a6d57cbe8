// zring-recv-buffers: the measurement behind the io_uring backend's choice
// of recv (see prepare() in io/src/uring_backend.cpp). One ring thread
// receives 64 B messages on C loopback TCP connections three ways:
//   plain      IORING_OP_RECV into the connection's own buffer, armed again
//              after each completion: what byte_stream::read_some does
//   buf-ring   the same recv with IOSQE_BUFFER_SELECT from a provided buffer
//              ring (io_uring_register_buf_ring), copied into the
//              connection's buffer, as read_some's caller-buffer API needs,
//              and the buffer handed back
//   multishot  one multishot recv per connection from the buffer ring
//              (Linux 6.0), copied likewise; armed again only when it ends
// A writer thread sends the messages round-robin with blocking sends.
// Reported: medians over repetitions of messages/s and the ring thread's
// CPU per message, each way's ratio to plain in the same repetition.
// usage: zring-recv-buffers [--repeat N] [--messages N]
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t message_size = 64;
constexpr unsigned buffer_size = 4096;   // every way's recv length
constexpr unsigned ring_buffers = 1024;  // in the provided buffer ring
constexpr int group = 1;

[[noreturn]] void fail(const std::string& what, int error = errno) {
    throw std::system_error(error, std::system_category(), "zring-recv-buffers: " + what);
}

double thread_cpu() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// C connected loopback pairs: readers[i] (non-blocking) and writers[i].
void connect_pairs(int count, std::vector<int>& readers, std::vector<int>& writers) {
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof at;
    if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || ::listen(l, 4096) != 0 ||
        ::getsockname(l, reinterpret_cast<sockaddr*>(&at), &length) != 0)
        fail("listen");
    for (int i = 0; i < count; ++i) {
        const int w = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (w < 0 || ::connect(w, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) fail("connect");
        const int on = 1;
        ::setsockopt(w, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        const int r = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (r < 0) fail("accept");
        readers.push_back(r);
        writers.push_back(w);
    }
    ::close(l);
}

enum class way { plain, buf_ring, multishot };
const char* name_of(way w) { return w == way::plain ? "plain" : w == way::buf_ring ? "buf-ring" : "multishot"; }

struct result {
    double msgs_per_s, cpu_ns_per_msg;
};

result run(way how, int connections, long messages) {
    std::vector<int> readers, writers;
    connect_pairs(connections, readers, writers);
    io_uring ring{};
    if (const int rc = io_uring_queue_init(4096, &ring, 0); rc < 0) fail("io_uring_queue_init", -rc);
    std::vector<char> own(static_cast<std::size_t>(connections) * buffer_size);  // each connection's buffer
    std::vector<char> pool(static_cast<std::size_t>(ring_buffers) * buffer_size);
    io_uring_buf_ring* br = nullptr;
    void* br_memory = nullptr;
    if (how != way::plain) {
        const std::size_t bytes = ring_buffers * sizeof(io_uring_buf);
        if (posix_memalign(&br_memory, 4096, bytes) != 0) fail("posix_memalign", ENOMEM);
        br = static_cast<io_uring_buf_ring*>(br_memory);
        io_uring_buf_ring_init(br);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<unsigned long>(br);
        reg.ring_entries = ring_buffers;
        reg.bgid = group;
        if (const int rc = io_uring_register_buf_ring(&ring, &reg, 0); rc < 0) fail("io_uring_register_buf_ring", -rc);
        for (unsigned b = 0; b < ring_buffers; ++b)
            io_uring_buf_ring_add(br, pool.data() + b * buffer_size, buffer_size, static_cast<unsigned short>(b),
                                  io_uring_buf_ring_mask(ring_buffers), static_cast<int>(b));
        io_uring_buf_ring_advance(br, ring_buffers);
    }
    const auto arm = [&](int i) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        if (!sqe) {
            io_uring_submit(&ring);
            sqe = io_uring_get_sqe(&ring);
        }
        if (how == way::plain) {
            io_uring_prep_recv(sqe, readers[i], own.data() + static_cast<std::size_t>(i) * buffer_size, buffer_size, 0);
        } else if (how == way::buf_ring) {
            io_uring_prep_recv(sqe, readers[i], nullptr, buffer_size, 0);
            sqe->flags |= IOSQE_BUFFER_SELECT;
            sqe->buf_group = group;
        } else {
            io_uring_prep_recv_multishot(sqe, readers[i], nullptr, 0, 0);
            sqe->flags |= IOSQE_BUFFER_SELECT;
            sqe->buf_group = group;
        }
        io_uring_sqe_set_data64(sqe, static_cast<unsigned long long>(i));
    };
    for (int i = 0; i < connections; ++i) arm(i);
    io_uring_submit(&ring);

    std::thread writer([&] {
        const char message[message_size] = {};
        for (long m = 0; m < messages; ++m) {
            const int fd = writers[static_cast<std::size_t>(m % connections)];
            for (std::size_t at = 0; at < message_size;) {
                const ssize_t n = ::send(fd, message + at, message_size - at, MSG_NOSIGNAL);
                if (n < 0) return;  // the reader failed and closed its end: it reports
                at += static_cast<std::size_t>(n);
            }
        }
    });
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = thread_cpu();
    const unsigned long long total = static_cast<unsigned long long>(messages) * message_size;
    unsigned long long received = 0;
    try {
        while (received < total) {
            io_uring_submit_and_wait(&ring, 1);
            io_uring_cqe* cqe;
            unsigned head, seen = 0;
            io_uring_for_each_cqe(&ring, head, cqe) {
                ++seen;
                const int i = static_cast<int>(io_uring_cqe_get_data64(cqe));
                const int res = cqe->res;
                if (res < 0 && res != -ENOBUFS) fail("recv", -res);
                if (res > 0) {
                    received += static_cast<unsigned>(res);
                    if (cqe->flags & IORING_CQE_F_BUFFER) {
                        const auto b = static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                        std::memcpy(own.data() + static_cast<std::size_t>(i) * buffer_size,
                                    pool.data() + b * buffer_size, static_cast<std::size_t>(res));
                        io_uring_buf_ring_add(br, pool.data() + b * buffer_size, buffer_size, b,
                                              io_uring_buf_ring_mask(ring_buffers), 0);
                        io_uring_buf_ring_advance(br, 1);
                    }
                }
                if (how != way::multishot || !(cqe->flags & IORING_CQE_F_MORE)) arm(i);
            }
            io_uring_cq_advance(&ring, seen);
        }
    } catch (...) {
        for (const int fd : readers) ::shutdown(fd, SHUT_RDWR);  // the writer's sends fail: it ends
        writer.join();
        throw;
    }
    const double cpu = thread_cpu() - cpu0;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    writer.join();
    io_uring_queue_exit(&ring);
    std::free(br_memory);
    for (const int fd : readers) ::close(fd);
    for (const int fd : writers) ::close(fd);
    return {static_cast<double>(messages) / seconds, cpu * 1e9 / static_cast<double>(messages)};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    rlimit limit{};  // 1,000 connections take 2,000 descriptors
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    int repeat = 5;
    long messages = 1'000'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--repeat")
            repeat = std::max(1, std::atoi(argv[i + 1]));
        else if (flag == "--messages")
            messages = std::max(1000L, std::atol(argv[i + 1]));
        else {
            std::fprintf(stderr, "usage: zring-recv-buffers [--repeat N] [--messages N]\n");
            return 2;
        }
    }
    try {
        std::printf("%-11s %6s %14s %16s %18s %20s\n", "way", "conns", "msgs/s", "cpu ns/msg", "msgs/s vs plain",
                    "cpu/msg vs plain");
        for (const int connections : {1, 100, 1000}) {
            std::vector<double> speed[3], cpu[3], speed_ratio[3], cpu_ratio[3];
            for (int r = 0; r < repeat; ++r) {
                result plain{};
                for (const way how : {way::plain, way::buf_ring, way::multishot}) {
                    const result x = run(how, connections, messages);
                    const auto k = static_cast<std::size_t>(how);
                    if (how == way::plain) plain = x;
                    speed[k].push_back(x.msgs_per_s);
                    cpu[k].push_back(x.cpu_ns_per_msg);
                    speed_ratio[k].push_back(x.msgs_per_s / plain.msgs_per_s);
                    cpu_ratio[k].push_back(x.cpu_ns_per_msg / plain.cpu_ns_per_msg);
                }
            }
            for (const way how : {way::plain, way::buf_ring, way::multishot}) {
                const auto k = static_cast<std::size_t>(how);
                std::printf("%-11s %6d %14.0f %16.1f %18.3f %20.3f\n", name_of(how), connections, median(speed[k]),
                            median(cpu[k]), median(speed_ratio[k]), median(cpu_ratio[k]));
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
