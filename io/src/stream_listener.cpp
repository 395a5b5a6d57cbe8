#include <zring/io/stream_listener.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace zring {

namespace {

// How long the listener pauses when the process or the system is out of
// descriptors, before it accepts again.
constexpr auto descriptor_pause = std::chrono::milliseconds(100);

// Errors of one connection, or of the moment: accept(2) says to retry.
bool transient(int error) noexcept {
    switch (error) {
        case ECONNABORTED:
        case EPROTO:
        case EPERM:  // a firewall refused the connection
        case EINTR:
        case EAGAIN:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
        case ECANCELED:  // our own cancel: the queue was full
            return true;
        default: return false;
    }
}

bool out_of_descriptors(int error) noexcept {
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

// The accept the kernel holds, and the pause after a shortage of
// descriptors. Heap-allocated so that a listener closed while the accept
// is pending can leave it behind: its final completion frees it.
struct stream_listener::core : detail::io_operation, detail::timer_node {
    stream_listener* owner;
    bool armed = false;
    bool cancelling = false;  // a cancel is on its way to the kernel
    bool pausing = false;

    core(stream_listener* l, int listening_fd) : owner(l) {
        kind = detail::io_kind::accept;
        fd = listening_fd;
        multishot = true;
        on_complete = [](detail::io_operation* op, int result, bool more) noexcept {
            auto* c = static_cast<core*>(op);
            if (!more) c->armed = false;
            if (!c->owner) {  // orphaned by close(): what it still accepts is closed
                if (result >= 0) ::close(result);
                if (!more) delete c;
                return;
            }
            if (!more) c->cancelling = false;
            if (result >= 0)
                c->owner->on_accepted(result);
            else
                c->owner->on_failed(-result);
            if (!more && c->owner && result >= 0) c->owner->arm();  // the kernel ended the multishot
        };
        fire = [](detail::timer_node* n) noexcept {
            auto* c = static_cast<core*>(n);
            c->pausing = false;
            if (c->owner) c->owner->arm();
        };
    }
};

stream_listener::stream_listener(scheduler& s, const endpoint& at, const listen_options& options, const char* kind)
    : scheduler_(&s) {
    const std::string where = std::string("zring::") + kind + "::listen(" + at.to_string() + ")";
    fd_ = ::socket(at.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), where + ": socket");
    const auto fail = [&](const char* call) {
        const int error = errno;
        ::close(std::exchange(fd_, -1));
        throw std::system_error(error, std::system_category(), where + ": " + call);
    };
    const int one = 1;
    if (at.family() != AF_UNIX) {
        if (options.reuse_address && ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
            fail("SO_REUSEADDR");
        if (options.reuse_port && ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
            fail("SO_REUSEPORT");
    }
    if (::bind(fd_, at.data(), at.size()) != 0) fail("bind");
    if (::listen(fd_, options.backlog) != 0) fail("listen");
    local_ = endpoint::local_of(fd_);
    try {
        // One multishot accept may take the whole backlog at once, before a
        // cancel reaches the kernel: room for all of it, allocated now.
        queue_.resize(queue_limit + static_cast<std::size_t>(std::max(options.backlog, 128)));
        name_ = std::make_shared<const std::string>(std::string("zring::") + kind + "(" + local_.to_string() + ")");
        core_ = new core(this, fd_);
    } catch (...) {
        ::close(std::exchange(fd_, -1));
        throw;
    }
    detail::scheduler_access::add_resource(s, this);
    arm();  // connections are accepted from now on, and wait for accept()
}

stream_listener::~stream_listener() { close(); }

stream_listener::stream_listener(stream_listener&& other) : scheduler_(other.scheduler_) {
    other.check_usable("stream_listener(stream_listener&&)");
    if (!other.waiters_.empty())
        throw std::logic_error(other.name() + ": moved while accepts wait on it (a listener moves only while none does)");
    take_over(other);
}

stream_listener& stream_listener::operator=(stream_listener&& other) {
    if (&other == this) return *this;
    other.check_usable("operator=(stream_listener&&)");
    if (!other.waiters_.empty() || !waiters_.empty())
        throw std::logic_error(other.name() + ": moved while accepts wait (a listener moves only while none does)");
    close();
    scheduler_ = other.scheduler_;
    take_over(other);
    return *this;
}

void stream_listener::take_over(stream_listener& other) noexcept {
    fd_ = std::exchange(other.fd_, -1);
    local_ = other.local_;
    name_ = other.name_;
    core_ = std::exchange(other.core_, nullptr);
    core_->owner = this;
    queue_ = std::move(other.queue_);
    first_ = std::exchange(other.first_, 0);
    count_ = std::exchange(other.count_, 0);
    reported_ = other.reported_;
    detail::scheduler_access::remove_resource(*scheduler_, &other);
    detail::scheduler_access::add_resource(*scheduler_, this);
}

void stream_listener::check_usable(const char* operation) const {
    if (fd_ < 0) throw stream_closed(name() + "::" + operation);
    if (!scheduler_->on_owner_thread())
        throw std::logic_error(name() + "::" + operation +
                               ": used from a thread other than its scheduler's (a listener belongs to one scheduler)");
}

void stream_listener::close() noexcept {
    if (fd_ < 0) return;
    core* c = std::exchange(core_, nullptr);
    detail::scheduler_access::remove_timer(*scheduler_, c);
    if (c->armed) {
        c->owner = nullptr;
        detail::scheduler_access::cancel(*scheduler_, c);
    } else {
        delete c;
    }
    while (count_ > 0) ::close(pop());
    while (detail::accept_waiter* w = waiters_.pop_front()) w->deliver(detail::outcome::closed, 0);
    detail::scheduler_access::close_fd(*scheduler_, std::exchange(fd_, -1));
    // A Unix-domain path listener leaves no socket file behind.
    if (local_.family() == AF_UNIX && local_.size() > offsetof(::sockaddr_un, sun_path) + 1) {
        const auto* un = reinterpret_cast<const ::sockaddr_un*>(local_.data());
        if (un->sun_path[0] != '\0') ::unlink(un->sun_path);
    }
    detail::scheduler_access::remove_resource(*scheduler_, this);
}

void stream_listener::arm() noexcept {
    if (!core_ || core_->armed || core_->pausing) return;
    if (waiters_.empty() && count_ >= queue_limit) return;
    if (!detail::scheduler_access::start(*scheduler_, core_)) {
        back_off(ENOBUFS);  // the kernel takes no more work now
        return;
    }
    core_->armed = true;
}

void stream_listener::on_accepted(int fd) noexcept {
    reported_ = false;  // a shortage of descriptors is over
    if (detail::accept_waiter* w = waiters_.pop_front()) {
        w->deliver(detail::outcome::done, fd);
        return;
    }
    push(fd);
    // Enough queued: let the kernel's backlog hold the rest.
    if (count_ >= queue_limit && core_->armed && !core_->cancelling) {
        core_->cancelling = true;
        detail::scheduler_access::cancel(*scheduler_, core_);
    }
}

void stream_listener::on_failed(int error) noexcept {
    if (transient(error)) {
        arm();
        return;
    }
    if (out_of_descriptors(error)) {
        back_off(error);
        return;
    }
    // The socket itself failed (closed under us, shut down): nothing to retry.
    while (detail::accept_waiter* w = waiters_.pop_front()) w->deliver(detail::outcome::failed, error);
}

void stream_listener::back_off(int error) noexcept {
    if (!reported_) {
        reported_ = true;
        std::fprintf(stderr, "%s::accept: %s; pausing %lld ms at a time while connections wait in the backlog\n",
                     name_->c_str(), std::strerror(error),
                     static_cast<long long>(std::chrono::milliseconds(descriptor_pause).count()));
    }
    core_->pausing = true;
    core_->deadline = detail::clock::now() + descriptor_pause;
    try {
        detail::scheduler_access::add_timer(*scheduler_, core_);
    } catch (const std::bad_alloc&) {
        // No memory for a timer: rather than spin, the next accept() retries.
        core_->pausing = false;
    }
}

void stream_listener::push(int fd) noexcept {
    if (count_ == queue_.size()) {  // more than the backlog in one go: the client sees a reset
        ::close(fd);
        if (!overflow_reported_) {
            overflow_reported_ = true;
            std::fprintf(stderr, "%s::accept: %zu connections queued for accept(); resetting the rest\n",
                         name_->c_str(), queue_.size());
        }
        return;
    }
    queue_[(first_ + count_) % queue_.size()] = fd;
    ++count_;
}

int stream_listener::pop() noexcept {
    const int fd = queue_[first_];
    first_ = (first_ + 1) % queue_.size();
    --count_;
    return fd;
}

detail::accept_waiter stream_listener::accept_fd(std::optional<duration> timeout, std::stop_token token) {
    detail::accept_waiter w(*this, *scheduler_, std::move(token));
    w.timeout = timeout;
    return w;
}

namespace detail {

accept_waiter::accept_waiter(stream_listener& l, scheduler& s, std::stop_token token) noexcept
    : operation(std::move(token), s), listener(&l), sched(&s), name(l.name_) {
    fire = &on_timeout;
}

accept_waiter::~accept_waiter() {
    scheduler_access::remove_timer(*sched, this);
    if (fd >= 0) ::close(fd);  // delivered, never taken (its frame was torn down)
}

bool accept_waiter::await_ready() {
    listener->check_usable("accept");
    if (listener->count_ == 0 || !listener->waiters_.empty()) return false;
    fd = listener->pop();
    conclude(outcome::done);
    listener->arm();  // room again
    return true;
}

bool accept_waiter::start(std::coroutine_handle<> awaiting) {
    if (timeout && *timeout <= clock::duration::zero()) {
        conclude(outcome::timed_out);
        return false;
    }
    resumed.handle = awaiting;
    if (timeout) {  // may throw: nothing is linked yet
        deadline = clock::now() + *timeout;
        scheduler_access::add_timer(*sched, this);
    }
    listener->waiters_.push_back(this);
    listener->arm();
    return true;
}

void accept_waiter::deliver(outcome o, int fd_or_error) noexcept {
    scheduler_access::remove_timer(*sched, this);
    if (o == outcome::done)
        fd = fd_or_error;
    listener = nullptr;
    conclude(o, o == outcome::failed ? fd_or_error : 0);
    sched->schedule(resumed);
}

void accept_waiter::cancel() noexcept {
    if (!linked()) return;
    unlink();
    deliver(outcome::cancelled, 0);
}

void accept_waiter::on_timeout(timer_node* n) noexcept {
    auto* w = static_cast<accept_waiter*>(n);
    if (!w->linked()) return;
    w->unlink();
    w->deliver(outcome::timed_out, 0);
}

int accept_waiter::take_fd() {
    const outcome o = finish();
    scheduler_access::remove_timer(*sched, this);
    const std::string what = *name + "::accept";
    switch (o) {
        case outcome::done: return std::exchange(fd, -1);
        case outcome::cancelled: throw operation_cancelled(what);
        case outcome::timed_out: throw timed_out(what);
        case outcome::closed: throw stream_closed(what);
        default: throw std::system_error(error(), std::system_category(), what);
    }
}

}  // namespace detail

}  // namespace zring
