#pragma once
// The awaiter of every operation of a byte_stream or a udp_socket (its
// Owner): a Step (see fd_operation.hpp) driven by one fd_operation,
// registered in the owner's slot for its direction while it runs (one read
// and one write at a time). Whichever of the owner and the awaiter dies
// first unlinks the other.
//
// Owner provides, to this template as a friend: slot(bool reads) -> owned_op<Owner>*&,
// check_usable(const char*), name(), native_handle(), get_scheduler(),
// uses_epoll(), and write_turn_ (the loop turn its last write ended in).

#include <zring/io/detail/fd_operation.hpp>
#include <zring/io/errors.hpp>

#include <cerrno>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace zring::detail {

// Steps report these beside errno values.
constexpr int end_of_stream_error = 1 << 20;
constexpr int read_limit_error = (1 << 20) + 1;

template <class Owner>
struct owned_op : fd_operation {
    using fd_operation::fd_operation;
    Owner* owner = nullptr;  // null once the owner is destroyed
    std::shared_ptr<const std::string> orphan_name;  // the owner's name, kept when it is destroyed
    std::vector<std::byte> kept;  // the owner's buffer, while the kernel may still write into it

    // The owner closes (closed) or dies (destroyed) while this waits.
    void stop_for_owner(outcome why, const std::shared_ptr<const std::string>& name) noexcept {
        stop(why);
        if (why == outcome::destroyed) {
            orphan_name = name;
            owner = nullptr;
        }
    }
};

template <class Owner, class Step>
class stream_awaiter : private owned_op<Owner> {
    using op = owned_op<Owner>;
    using typename fd_operation::duration;

public:
    template <class... StepArgs>
    stream_awaiter(Owner& o, std::optional<duration> timeout, std::stop_token token, StepArgs&&... step_args)
        : op(o.get_scheduler(), std::move(token), timeout), step_{std::forward<StepArgs>(step_args)...} {
        this->owner = &o;
        this->drive(&advance, &prepare);
    }
    // Moved only before it is awaited.
    stream_awaiter(stream_awaiter&& o) noexcept : op(std::move(o)), step_(std::move(o.step_)) {
        this->owner = o.owner;
        this->drive(&advance, &prepare);
    }
    stream_awaiter& operator=(stream_awaiter&&) = delete;
    ~stream_awaiter() {
        if (registered_ && this->owner) this->owner->slot(Step::reads) = nullptr;
    }

    bool await_ready() {
        Owner& o = *this->owner;
        o.check_usable(Step::name);
        op*& slot = o.slot(Step::reads);
        if (slot)
            throw std::logic_error(o.name() + "::" + Step::name + ": another " + (Step::reads ? "read" : "write") +
                                   " is pending (one read and one write at a time)");
        this->fd = o.native_handle();
        int rc = step_.ready(o);
        // Tried first, within the resumption's budget: everything on epoll,
        // and on io_uring a stream's first write of a loop turn. That write
        // usually goes through at once and needs no turn of its own: a
        // request and its reply cost each side one io_uring_enter, not two
        // (the send's completion would end the first at once). Further
        // writes in the turn go to the ring, so a stream that writes without
        // pause still has one write in flight per turn, and the writer
        // coalesces what queues meanwhile. Reads are left to the ring, where
        // they would mostly find nothing yet. A zero timeout tries anything.
        scheduler& s = o.get_scheduler();
        const bool try_first = o.uses_epoll() || (!Step::reads && o.write_turn_ != scheduler_access::turn(s));
        if (rc == -1 && (this->expires_at_once() || (try_first && scheduler_access::may_complete_inline(s)))) {
            step_.prepare(o, *this);
            const int result = try_call(*this);
            this->would_block = result == -EAGAIN;
            if (result != -EAGAIN) rc = result < 0 ? -result : step_.advance(o, result);
        }
        if (rc == -1) {
            slot = this;
            registered_ = true;
            return false;
        }
        this->conclude(rc == 0 ? outcome::done : outcome::failed, rc);
        return true;
    }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return this->begin(h);
    }
    decltype(auto) await_resume() {
        // Registered exactly when await_ready left the operation to the kernel.
        const outcome o = registered_ ? this->end() : this->current_outcome();
        if (registered_ && this->owner) this->owner->slot(Step::reads) = nullptr;
        if (!Step::reads && this->owner) this->owner->write_turn_ = scheduler_access::turn(this->owner->get_scheduler());
        registered_ = false;
        if (o != outcome::done) [[unlikely]]
            throw_outcome(o);
        if constexpr (Step::takes_buffered) {
            if (!this->owner) [[unlikely]]
                throw_outcome(outcome::destroyed);  // destroyed since, with what it read
            return step_.result(*this->owner);
        } else {
            return step_.result();
        }
    }

private:
    static stream_awaiter& self(fd_operation& f) noexcept { return static_cast<stream_awaiter&>(static_cast<op&>(f)); }
    static int advance(fd_operation& f, int result) noexcept { return self(f).step_.advance(*self(f).owner, result); }
    static void prepare(fd_operation& f) noexcept { self(f).step_.prepare(*self(f).owner, f); }

    [[noreturn]] void throw_outcome(outcome o) const {
        const std::string what = (this->owner ? this->owner->name() : *this->orphan_name) + "::" + Step::name;
        if constexpr (requires { step_.written(); }) {
            if (o == outcome::cancelled) throw write_cancelled(what, step_.written());
            if (o == outcome::timed_out) throw write_timed_out(what, step_.written());
        }
        switch (o) {
            case outcome::cancelled: throw operation_cancelled(what);
            case outcome::timed_out: throw timed_out(what);
            case outcome::closed: throw stream_closed(what);
            case outcome::destroyed: throw object_destroyed(what);
            default: break;
        }
        if (this->error() == end_of_stream_error) {
            if constexpr (requires { this->owner->buffered(); })
                throw end_of_stream(what, this->owner ? this->owner->buffered() : 0);
        }
        if (this->error() == read_limit_error) {
            if constexpr (requires { step_.max_bytes; }) throw read_limit_exceeded(what, step_.max_bytes);
        }
        throw std::system_error(this->error(), std::system_category(), what);
    }

    Step step_;
    bool registered_ = false;
};

}  // namespace zring::detail
