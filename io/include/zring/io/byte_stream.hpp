#pragma once
// byte_stream: a connected stream socket (TCP, Unix-domain) on a scheduler,
// what tcp_stream and unix_stream share. Tornado's IOStream, as awaitables:
//
//     std::string line = co_await s.read_until("\r\n", 64 * 1024);
//     co_await s.write(reply);
//
// Reads and writes are kernel operations on the scheduler's ring (epoll
// tries the call first and waits for readiness only when it would block).
// A write completes once the kernel holds every byte: that is the
// backpressure, so a slow peer never makes memory grow. Every operation
// takes an optional timeout and a stop token; a stopped or timed-out read
// consumes nothing (what was read before the stop is returned), and a
// stopped write reports how much went out (write_cancelled,
// write_timed_out). One read and one write may be pending at a time; a
// second is a std::logic_error. Failures name the stream and the operation:
// std::system_error (ECONNRESET, EPIPE, ...), end_of_stream, stream_closed,
// read_limit_exceeded.
//
// A stream belongs to its scheduler's thread. Destroying it, or the
// scheduler's teardown, closes it; coroutines waiting on it then resume
// with stream_closed (or object_destroyed if it was destroyed).

#include <zring/io/detail/io_operation.hpp>
#include <zring/io/detail/stream_awaiter.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/scheduler.hpp>

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace zring {

namespace detail {
struct read_some_step;
struct read_exactly_step;
struct read_exactly_into_step;
struct read_until_step;
struct write_step;
struct write_gathered_step;
}  // namespace detail

class byte_stream : private detail::scheduler_resource {
public:
    using duration = detail::clock::duration;
    template <class Step>
    using awaiter = detail::stream_awaiter<byte_stream, Step>;

    byte_stream(byte_stream&& other);
    byte_stream& operator=(byte_stream&& other);
    ~byte_stream();

    // co_await s.read_some(buffer) -> bytes read into buffer, 0 at the end
    // of the stream (bytes read_until left over come first).
    awaiter<detail::read_some_step> read_some(std::span<std::byte> buffer, std::optional<duration> timeout = {},
                                              std::stop_token token = {});
    // co_await s.read_exactly(n) -> n bytes; end_of_stream if the peer ends
    // the stream first (what arrived stays for read_some).
    awaiter<detail::read_exactly_step> read_exactly(std::size_t n, std::optional<duration> timeout = {},
                                                    std::stop_token token = {});
    // The same into the caller's buffer, filled whole: no allocation once
    // the stream's own buffer has grown to fit.
    awaiter<detail::read_exactly_into_step> read_exactly(std::span<std::byte> into,
                                                         std::optional<duration> timeout = {},
                                                         std::stop_token token = {});
    // co_await s.read_until(delimiter, max_bytes) -> everything up to and
    // including the delimiter. read_limit_exceeded, and the stream closed,
    // if max_bytes (the delimiter included) pass without one.
    awaiter<detail::read_until_step> read_until(std::string_view delimiter, std::size_t max_bytes,
                                                std::optional<duration> timeout = {}, std::stop_token token = {});

    // co_await s.write(bytes): once the kernel holds every byte. The bytes
    // must stay valid until then.
    awaiter<detail::write_step> write(std::span<const std::byte> bytes, std::optional<duration> timeout = {},
                                      std::stop_token token = {});
    awaiter<detail::write_step> write(std::string_view text, std::optional<duration> timeout = {},
                                      std::stop_token token = {});
    // The buffers in order, as one write (gathered: no copy).
    awaiter<detail::write_gathered_step> write(std::span<const std::span<const std::byte>> buffers,
                                               std::optional<duration> timeout = {}, std::stop_token token = {});

    // Ends the stream toward the peer (it reads 0) and keeps reading.
    void shutdown_write();
    // Closes the descriptor; waiting operations end with stream_closed.
    void close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }

    endpoint local_endpoint() const noexcept { return endpoint::local_of(fd_); }
    endpoint peer_endpoint() const noexcept { return peer_; }
    // "tcp 127.0.0.1:5555": names the stream in error messages.
    const std::string& name() const noexcept { return *name_; }
    // The socket, for options and inspection. It stays this object's: close
    // it with close(), never with ::close or dup2 over it (the epoll backend
    // keeps the descriptor registered between operations).
    int native_handle() const noexcept { return fd_; }
    scheduler& get_scheduler() const noexcept { return *scheduler_; }
    // Bytes received and not yet read (left over by read_until).
    std::size_t buffered() const noexcept { return tail_ - head_; }

protected:
    // Takes fd, a connected stream socket (non-blocking, close-on-exec),
    // named after label ("zring::tcp_stream(127.0.0.1:80)").
    byte_stream(scheduler& s, int fd, const char* kind, endpoint peer, const endpoint& label);
    [[noreturn]] void throw_error(const char* operation, int error) const;
    void check_usable(const char* operation) const;

private:
    template <class, class>
    friend class detail::stream_awaiter;
    friend struct detail::read_some_step;
    friend struct detail::read_exactly_step;
    friend struct detail::read_exactly_into_step;
    friend struct detail::read_until_step;
    friend struct detail::write_step;
    friend struct detail::write_gathered_step;

    void on_scheduler_shutdown() noexcept override { close(); }
    void check_movable(const char* operation) const;
    void take_over(byte_stream& other) noexcept;
    // Makes room for `want` bytes after the buffered ones; false without memory.
    bool reserve(std::size_t want) noexcept;
    // The room after the buffered bytes.
    std::span<std::byte> room() noexcept;
    // The first n buffered bytes, consumed.
    std::string take(std::size_t n);
    void take(std::span<std::byte> into) noexcept;
    void consumed(std::size_t n) noexcept;
    // Ends the waiting operations with why; a destroyed stream also lets go of them.
    void stop_operations(detail::outcome why) noexcept;

    scheduler* scheduler_;
    int fd_ = -1;
    endpoint peer_;
    std::shared_ptr<const std::string> name_;  // shared with the operations that outlive the stream
    detail::owned_op<byte_stream>*& slot(bool reads) noexcept { return reads ? reading_ : writing_; }
    bool uses_epoll() const noexcept { return scheduler_->backend() == zring::backend::epoll; }

    detail::owned_op<byte_stream>* reading_ = nullptr;
    detail::owned_op<byte_stream>* writing_ = nullptr;
    std::uint64_t write_turn_ = 0;  // the loop turn the last write ended in (see stream_awaiter)
    std::vector<std::byte> buffer_;  // bytes [head_, tail_) are received and unread
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

namespace detail {

// The steps. ready() finishes the operation without a call where it can
// (buffered bytes, nothing to write): 0 (done), -1 (a call is needed), or
// an error as advance() does. The awaiter then makes the first call
// itself on epoll (or for a zero timeout), else the kernel does.

struct read_some_step {
    static constexpr const char* name = "read_some";
    static constexpr bool reads = true;
    std::span<std::byte> buffer;
    std::size_t got = 0;
    int ready(byte_stream& s) noexcept;
    void prepare(byte_stream& s, io_operation& op) noexcept;
    int advance(byte_stream& s, int result) noexcept;
    static constexpr bool takes_buffered = false;
    std::size_t result() noexcept { return got; }
};

struct read_exactly_step {
    static constexpr const char* name = "read_exactly";
    static constexpr bool reads = true;
    std::size_t n;
    int ready(byte_stream& s) noexcept;
    void prepare(byte_stream& s, io_operation& op) noexcept;
    int advance(byte_stream& s, int result) noexcept;
    static constexpr bool takes_buffered = true;
    std::string result(byte_stream& s) { return s.take(n); }
};

struct read_exactly_into_step : read_exactly_step {
    std::byte* into;
    void result(byte_stream& s) noexcept { s.take({into, n}); }
};

struct read_until_step {
    static constexpr const char* name = "read_until";
    static constexpr bool reads = true;
    std::string_view delimiter;
    std::size_t max_bytes;
    std::size_t found = 0;    // bytes up to and with the delimiter, once found
    std::size_t scanned = 0;  // buffered bytes already searched
    int ready(byte_stream& s) noexcept;
    void prepare(byte_stream& s, io_operation& op) noexcept;
    int advance(byte_stream& s, int result) noexcept;
    static constexpr bool takes_buffered = true;
    std::string result(byte_stream& s) { return s.take(found); }
    int search(byte_stream& s) noexcept;
    int finish(byte_stream& s, int rc) noexcept;
};

struct write_step {
    static constexpr const char* name = "write";
    static constexpr bool reads = false;
    std::span<const std::byte> bytes;
    std::size_t sent = 0;
    int ready(byte_stream& s) noexcept;
    void prepare(byte_stream& s, io_operation& op) noexcept;
    int advance(byte_stream& s, int result) noexcept;
    static constexpr bool takes_buffered = false;
    void result() noexcept {}
    std::size_t written() const noexcept { return sent; }
};

struct write_gathered_step {
    static constexpr const char* name = "write";
    static constexpr bool reads = false;
    static constexpr std::size_t batch = 16;  // iovecs per call: no allocation
    std::span<const std::span<const std::byte>> buffers;
    std::size_t next = 0;    // the first buffer not wholly sent
    std::size_t offset = 0;  // bytes of it sent
    std::size_t sent = 0;
    ::iovec iov[batch]{};
    ::msghdr message{};
    int ready(byte_stream& s) noexcept;
    void prepare(byte_stream& s, io_operation& op) noexcept;
    int advance(byte_stream& s, int result) noexcept;
    static constexpr bool takes_buffered = false;
    void result() noexcept {}
    std::size_t written() const noexcept { return sent; }
    bool done() const noexcept { return next == buffers.size(); }
    void consume(std::size_t n) noexcept;
    std::size_t fill() noexcept;  // the iovecs of the next call; their count
};

}  // namespace detail

inline byte_stream::awaiter<detail::read_some_step> byte_stream::read_some(std::span<std::byte> buffer,
                                                                           std::optional<byte_stream::duration> timeout,
                                                                           std::stop_token token) {
    return {*this, timeout, std::move(token), buffer};
}
inline byte_stream::awaiter<detail::read_exactly_step> byte_stream::read_exactly(std::size_t n,
                                                                                 std::optional<duration> timeout,
                                                                                 std::stop_token token) {
    return {*this, timeout, std::move(token), n};
}
inline byte_stream::awaiter<detail::read_exactly_into_step> byte_stream::read_exactly(std::span<std::byte> into,
                                                                                      std::optional<duration> timeout,
                                                                                      std::stop_token token) {
    return {*this, timeout, std::move(token), detail::read_exactly_into_step{{into.size()}, into.data()}};
}
inline byte_stream::awaiter<detail::read_until_step> byte_stream::read_until(std::string_view delimiter,
                                                                             std::size_t max_bytes,
                                                                             std::optional<duration> timeout,
                                                                             std::stop_token token) {
    return {*this, timeout, std::move(token), delimiter, max_bytes};
}
inline byte_stream::awaiter<detail::write_step> byte_stream::write(std::span<const std::byte> bytes,
                                                                   std::optional<duration> timeout,
                                                                   std::stop_token token) {
    return {*this, timeout, std::move(token), bytes};
}
inline byte_stream::awaiter<detail::write_step> byte_stream::write(std::string_view text,
                                                                   std::optional<duration> timeout,
                                                                   std::stop_token token) {
    return {*this, timeout, std::move(token), std::as_bytes(std::span(text.data(), text.size()))};
}
inline byte_stream::awaiter<detail::write_gathered_step> byte_stream::write(
    std::span<const std::span<const std::byte>> buffers, std::optional<duration> timeout, std::stop_token token) {
    return {*this, timeout, std::move(token), buffers};
}

}  // namespace zring
