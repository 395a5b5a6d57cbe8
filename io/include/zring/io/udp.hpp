#pragma once
// udp_socket: datagrams on the scheduler, each send and receive a kernel
// operation (sendmsg, recvmsg) on the ring, with the same timeouts, stop
// tokens and rules as the streams (one receive and one send at a time).
//
//     auto sock = zring::udp_socket::bind(s, "0.0.0.0:0");
//     co_await sock.send_to(zring::endpoint::parse("127.0.0.1:8125"), bytes);
//     zring::datagram d = co_await sock.recv_from(buffer);   // d.size, d.from

#include <zring/io/detail/stream_awaiter.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/scheduler.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

namespace zring {

// One received datagram: its size in the buffer, its sender, and whether
// it was larger than the buffer (the rest is lost, as the kernel does).
struct datagram {
    std::size_t size = 0;
    endpoint from;
    bool truncated = false;
};

namespace detail {
struct send_to_step;
struct recv_from_step;
}  // namespace detail

class udp_socket : private detail::scheduler_resource {
public:
    using duration = detail::clock::duration;
    template <class Step>
    using awaiter = detail::stream_awaiter<udp_socket, Step>;

    // A socket bound to a numeric endpoint ("0.0.0.0:0" for any port).
    static udp_socket bind(scheduler& s, std::string_view at, bool reuse_address = false);
    udp_socket(udp_socket&& other);
    udp_socket& operator=(udp_socket&&) = delete;
    ~udp_socket();

    // From now on send() goes to `to`, and only its datagrams are received.
    void connect(std::string_view to);

    // co_await sock.send_to(to, bytes) -> bytes sent (a datagram goes whole or not at all).
    awaiter<detail::send_to_step> send_to(const endpoint& to, std::span<const std::byte> bytes,
                                          std::optional<duration> timeout = {}, std::stop_token token = {});
    // To the connected peer.
    awaiter<detail::send_to_step> send(std::span<const std::byte> bytes, std::optional<duration> timeout = {},
                                       std::stop_token token = {});
    // co_await sock.recv_from(buffer) -> the next datagram.
    awaiter<detail::recv_from_step> recv_from(std::span<std::byte> buffer, std::optional<duration> timeout = {},
                                              std::stop_token token = {});

    void close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    endpoint local_endpoint() const noexcept { return endpoint::local_of(fd_); }
    const std::string& name() const noexcept { return *name_; }
    // The socket, for options and inspection. It stays this object's: close
    // it with close(), never with ::close or dup2 over it (the epoll backend
    // keeps the descriptor registered between operations).
    int native_handle() const noexcept { return fd_; }
    scheduler& get_scheduler() const noexcept { return *scheduler_; }

private:
    template <class, class>
    friend class detail::stream_awaiter;
    friend struct detail::send_to_step;
    friend struct detail::recv_from_step;

    udp_socket(scheduler& s, int fd);
    void on_scheduler_shutdown() noexcept override { close(); }
    void check_usable(const char* operation) const;
    void stop_operations(detail::outcome why) noexcept;
    detail::owned_op<udp_socket>*& slot(bool reads) noexcept { return reads ? receiving_ : sending_; }
    bool uses_epoll() const noexcept { return scheduler_->backend() == zring::backend::epoll; }

    scheduler* scheduler_;
    int fd_ = -1;
    std::shared_ptr<const std::string> name_;
    detail::owned_op<udp_socket>* receiving_ = nullptr;
    detail::owned_op<udp_socket>* sending_ = nullptr;
    std::uint64_t write_turn_ = 0;  // the loop turn the last send ended in (see stream_awaiter)
};

namespace detail {

struct send_to_step {
    static constexpr const char* name = "send_to";
    static constexpr bool reads = false;
    static constexpr bool takes_buffered = false;
    std::optional<endpoint> to;  // none: the connected peer
    std::span<const std::byte> bytes;
    std::size_t sent = 0;
    ::iovec iov{};
    ::msghdr message{};
    int ready(udp_socket&) noexcept { return -1; }
    void prepare(udp_socket& s, io_operation& op) noexcept;
    int advance(udp_socket&, int result) noexcept {
        sent = static_cast<std::size_t>(result);
        return 0;
    }
    std::size_t result() noexcept { return sent; }
    void fill() noexcept;
};

struct recv_from_step {
    static constexpr const char* name = "recv_from";
    static constexpr bool reads = true;
    static constexpr bool takes_buffered = false;
    std::span<std::byte> buffer;
    datagram got{};
    ::iovec iov{};
    ::msghdr message{};
    ::sockaddr_storage from{};
    int ready(udp_socket&) noexcept { return -1; }
    void prepare(udp_socket& s, io_operation& op) noexcept;
    int advance(udp_socket&, int result) noexcept;
    datagram result() noexcept { return got; }
    void fill() noexcept;
};

}  // namespace detail

inline udp_socket::awaiter<detail::send_to_step> udp_socket::send_to(const endpoint& to,
                                                                     std::span<const std::byte> bytes,
                                                                     std::optional<duration> timeout,
                                                                     std::stop_token token) {
    return {*this, timeout, std::move(token), to, bytes};
}
inline udp_socket::awaiter<detail::send_to_step> udp_socket::send(std::span<const std::byte> bytes,
                                                                  std::optional<duration> timeout,
                                                                  std::stop_token token) {
    return {*this, timeout, std::move(token), std::nullopt, bytes};
}
inline udp_socket::awaiter<detail::recv_from_step> udp_socket::recv_from(std::span<std::byte> buffer,
                                                                         std::optional<duration> timeout,
                                                                         std::stop_token token) {
    return {*this, timeout, std::move(token), buffer};
}

}  // namespace zring
