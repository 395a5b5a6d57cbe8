#pragma once
// The awaiter of every byte_stream operation: a Step (see fd_operation.hpp)
// driven by one fd_operation, registered in the stream's slot for its
// direction while it runs (one read and one write at a time). Whichever of
// the stream and the awaiter dies first unlinks the other.

#include <zring/io/detail/fd_operation.hpp>
#include <zring/io/errors.hpp>

#include <coroutine>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>

namespace zring {
class byte_stream;
}

namespace zring::detail {

// Steps report these beside errno values.
constexpr int end_of_stream_error = 1 << 20;
constexpr int read_limit_error = (1 << 20) + 1;

struct stream_op : fd_operation {
    using fd_operation::fd_operation;
    zring::byte_stream* stream = nullptr;  // null once the stream is destroyed
    std::shared_ptr<const std::string> orphan_name;  // the stream's name, kept when it is destroyed
    bool started = false;                  // in the kernel's hands at least once
};

// Where a stream meets its awaiters (defined in byte_stream.hpp).
struct stream_access;

template <class Step>
class stream_awaiter : private stream_op {
public:
    template <class... StepArgs>
    stream_awaiter(zring::byte_stream& s, std::optional<duration> timeout, std::stop_token token,
                   StepArgs&&... step_args);
    // Moved only before it is awaited.
    stream_awaiter(stream_awaiter&& o) noexcept : stream_op(std::move(o)), step_(std::move(o.step_)) {
        stream = o.stream;
        drive(&advance, &prepare);
    }
    stream_awaiter& operator=(stream_awaiter&&) = delete;
    ~stream_awaiter();

    bool await_ready();
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        started = true;
        return begin(h);
    }
    decltype(auto) await_resume();

private:
    static int advance(fd_operation& op, int result) noexcept {
        auto& self = static_cast<stream_awaiter&>(static_cast<stream_op&>(op));
        return self.step_.advance(*self.stream, result);
    }
    static void prepare(fd_operation& op) noexcept {
        auto& self = static_cast<stream_awaiter&>(static_cast<stream_op&>(op));
        self.step_.prepare(*self.stream, op);
    }
    [[noreturn]] void throw_outcome(outcome o) const;

    Step step_;
    bool registered_ = false;
};

}  // namespace zring::detail
