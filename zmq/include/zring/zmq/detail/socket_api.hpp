#pragma once
// The operations both sockets offer (zring::socket over libzmq,
// zring::zmtp::socket, the native engine), written once: each builds a
// socket_awaiter in the caller's frame, so that co_await allocates nothing.

#include <zring/io/detail/timer_heap.hpp>
#include <zring/zmq/detail/socket_awaiter.hpp>
#include <zring/zmq/detail/socket_ops.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace zring {

// What send_multipart sends, one frame per element:
//   send_multipart(std::move(messages))   a std::vector<zmq::message_t>, moved
//   send_multipart(std::move(multipart))  cppzmq's zmq::multipart_t, its frames taken
//   send_multipart(strings)               any range of string-likes, copied
//   send_multipart({"a", id, body})       a braced list of string-likes, copied,
//   send_multipart({routing, "", body})   and of zmq::message_t frames: copied
//                                         from an lvalue, moved from an rvalue
// The braced list reaches a variadic constructor rather than an
// std::initializer_list, whose array g++ 12 rejects inside a co_await
// operand ("array used as initializer").
namespace detail {
template <class F>
concept frame_like = std::is_convertible_v<const F&, std::string_view> ||
                     std::is_same_v<std::remove_cvref_t<F>, ::zmq::message_t>;
}  // namespace detail

class frame_list {
public:
    frame_list(std::vector<::zmq::message_t>&& parts) noexcept : parts_(std::move(parts)) {}
    frame_list(::zmq::multipart_t&& parts) {
        parts_.reserve(parts.size());
        while (!parts.empty()) parts_.push_back(parts.pop());
    }
    template <class Range>
    requires std::is_convertible_v<decltype(*std::begin(std::declval<const Range&>())), std::string_view>
    frame_list(const Range& frames) {
        for (const auto& f : frames) add(f);
    }
    template <class... Frames>
    requires(sizeof...(Frames) > 0 && (detail::frame_like<Frames> && ...))
    frame_list(Frames&&... frames) {
        parts_.reserve(sizeof...(Frames));
        (add(std::forward<Frames>(frames)), ...);
    }

    std::vector<::zmq::message_t> take() && noexcept { return std::move(parts_); }

private:
    void add(std::string_view frame) { parts_.emplace_back(frame.data(), frame.size()); }
    // zmq_msg_copy shares the content (reference-counted), copying no bytes.
    void add(::zmq::message_t& frame) { parts_.emplace_back().copy(frame); }
    void add(const ::zmq::message_t& frame) { parts_.emplace_back(frame.data(), frame.size()); }
    void add(::zmq::message_t&& frame) { parts_.push_back(std::move(frame)); }
    std::vector<::zmq::message_t> parts_;
};

namespace detail {

template <class Socket>
class socket_api {
public:
    using clock = detail::clock;
    using duration = clock::duration;

    // What co_await takes: the operation, and whether a timeout is a value
    // (an empty optional, or false: the try_ forms below) rather than timed_out.
    template <class Operation, bool AsValue = false>
    using awaiter = socket_awaiter<Socket, Operation, AsValue>;
    using recv_op = socket_recv_op;
    using recv_into_op = socket_recv_into_op;
    using recv_multipart_op = socket_recv_multipart_op;
    using recv_multipart_into_op = socket_recv_multipart_into_op;
    using send_op = socket_send_op;
    using send_multipart_op = socket_send_multipart_op;
    using wait_op = socket_wait_op;

    // co_await s.recv() -> zmq::message_t (one frame).
    awaiter<recv_op> recv(std::stop_token token = {}) { return {self(), std::nullopt, std::move(token)}; }
    awaiter<recv_op> recv(duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token)};
    }
    // co_await s.recv(message): receives into message, releasing what it held,
    // as cppzmq's socket_t::recv(message_t&) does. Reusing one message in a
    // loop spares an init and a close per message. Left empty if the
    // receive fails, times out or is cancelled.
    awaiter<recv_into_op> recv(::zmq::message_t& message, std::stop_token token = {}) {
        return {self(), std::nullopt, std::move(token), &message};
    }
    awaiter<recv_into_op> recv(::zmq::message_t& message, duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token), &message};
    }
    // co_await s.recv_multipart() -> every frame of one message, never split
    // or interleaved with another receiver's.
    awaiter<recv_multipart_op> recv_multipart(std::stop_token token = {}) {
        return {self(), std::nullopt, std::move(token)};
    }
    awaiter<recv_multipart_op> recv_multipart(duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token)};
    }
    // Into cppzmq's zmq::multipart_t (its envelope helpers: pop, push,
    // popstr, pushstr, ...), replacing what it held.
    awaiter<recv_multipart_into_op> recv_multipart(::zmq::multipart_t& into, std::stop_token token = {}) {
        return {self(), std::nullopt, std::move(token), &into};
    }
    awaiter<recv_multipart_into_op> recv_multipart(::zmq::multipart_t& into, duration timeout,
                                                   std::stop_token token = {}) {
        return {self(), timeout, std::move(token), &into};
    }
    // Suspends while the socket cannot accept the message (high-water mark on
    // PUSH, DEALER, PAIR, ...); PUB drops at its high-water mark as libzmq does.
    awaiter<send_op> send(::zmq::message_t message, ::zmq::send_flags flags = ::zmq::send_flags::none,
                          std::stop_token token = {}) {
        return {self(), std::nullopt, std::move(token), std::move(message), static_cast<int>(flags) & ~ZMQ_DONTWAIT};
    }
    awaiter<send_op> send(std::string_view data, std::stop_token token = {}) {
        return {self(), std::nullopt, std::move(token), ::zmq::message_t(data.data(), data.size())};
    }
    awaiter<send_op> send(::zmq::message_t message, duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token), std::move(message)};
    }
    // Any frame_list: a vector of messages, a multipart_t, a range or a
    // braced list of strings.
    awaiter<send_multipart_op> send_multipart(frame_list frames, std::stop_token token = {}) {
        return {self(), std::nullopt, std::move(token), std::move(frames).take()};
    }
    awaiter<send_multipart_op> send_multipart(frame_list frames, duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token), std::move(frames).take()};
    }
    // Timeouts as values, for retry loops (C++ allows no co_await in a
    // catch block): a timeout yields std::nullopt or false and consumes or
    // sends nothing. Cancellation and closing still throw (they end the
    // coroutine's work; a timeout does not), as do errors.
    //   co_await s.try_recv(1s)               -> std::optional<zmq::message_t>
    //   co_await s.try_recv(message, 1s)      -> bool
    //   co_await s.try_recv_multipart(1s)     -> std::optional<std::vector<zmq::message_t>>
    //   co_await s.try_recv_multipart(multipart, 1s) -> bool (multipart untouched on a timeout)
    //   co_await s.try_send(message, 1s)      -> bool (false: not sent)
    //   co_await s.try_send_multipart(parts, 1s) -> bool
    //   co_await s.try_send_multipart(messages, 1s) -> bool: a std::vector<zmq::message_t>&,
    //       emptied if sent, left as it was on a timeout (to resend it, as a broker does)
    awaiter<recv_op, true> try_recv(duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token)};
    }
    awaiter<recv_into_op, true> try_recv(::zmq::message_t& message, duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token), &message};
    }
    awaiter<recv_multipart_op, true> try_recv_multipart(duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token)};
    }
    awaiter<recv_multipart_into_op, true> try_recv_multipart(::zmq::multipart_t& into, duration timeout,
                                                             std::stop_token token = {}) {
        return {self(), timeout, std::move(token), &into};
    }
    awaiter<send_op, true> try_send(::zmq::message_t message, duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token), std::move(message)};
    }
    awaiter<send_op, true> try_send(std::string_view data, duration timeout, std::stop_token token = {}) {
        return {self(), timeout, std::move(token), ::zmq::message_t(data.data(), data.size())};
    }
    awaiter<send_multipart_op, true> try_send_multipart(frame_list frames, duration timeout,
                                                        std::stop_token token = {}) {
        return {self(), timeout, std::move(token), std::move(frames).take()};
    }
    awaiter<send_multipart_op, true> try_send_multipart(std::vector<::zmq::message_t>& frames, duration timeout,
                                                        std::stop_token token = {}) {
        return {self(), timeout, std::move(token), std::vector<::zmq::message_t>{}, &frames};
    }
    // co_await s.wait(ZMQ_POLLIN) -> the requested events that are ready,
    // consuming nothing: for polling several sockets (see poller.hpp).
    awaiter<wait_op> wait(short events, std::stop_token token = {}) {
        return wait(events, std::nullopt, std::move(token));
    }
    awaiter<wait_op> wait(short events, duration timeout, std::stop_token token = {}) {
        return wait(events, std::optional<duration>(timeout), std::move(token));
    }

private:
    Socket& self() noexcept { return static_cast<Socket&>(*this); }
    awaiter<wait_op> wait(short events, std::optional<duration> timeout, std::stop_token token) {
        if ((events & (ZMQ_POLLIN | ZMQ_POLLOUT)) == 0)
            throw std::invalid_argument(std::string(Socket::class_name) + "(" + self().name() +
                                        ")::wait: events must include ZMQ_POLLIN or ZMQ_POLLOUT");
        return {self(), timeout, std::move(token), events, short{0}, (events & ZMQ_POLLIN) != 0};
    }
};

}  // namespace detail
}  // namespace zring
