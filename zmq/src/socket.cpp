#include <zring/zmq/socket.hpp>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <stdexcept>
#include <string_view>

namespace zring {

namespace {

const char* type_name(::zmq::socket_type type) noexcept {
    switch (type) {
        case ::zmq::socket_type::req: return "REQ";
        case ::zmq::socket_type::rep: return "REP";
        case ::zmq::socket_type::dealer: return "DEALER";
        case ::zmq::socket_type::router: return "ROUTER";
        case ::zmq::socket_type::pub: return "PUB";
        case ::zmq::socket_type::sub: return "SUB";
        case ::zmq::socket_type::xpub: return "XPUB";
        case ::zmq::socket_type::xsub: return "XSUB";
        case ::zmq::socket_type::push: return "PUSH";
        case ::zmq::socket_type::pull: return "PULL";
        case ::zmq::socket_type::pair: return "PAIR";
        case ::zmq::socket_type::stream: return "STREAM";
        default: return "socket";
    }
}

// Closing must not hang the context forever: unsent messages wait at most
// this long unless the user sets ZMQ_LINGER.
constexpr int default_linger_ms = 1000;
// When the scheduler is destroyed with the socket open, an infinite
// ZMQ_LINGER would block zmq_ctx_term forever: it becomes this long.
constexpr int shutdown_linger_ms = 100;

// libzmq parses a tcp port with strtol and keeps it modulo 2^16: port 99999
// would silently bind 34463. Ports past 65535 are refused instead (EINVAL),
// in every address of the endpoint ("tcp://source:port;host:port").
bool tcp_ports_valid(std::string_view endpoint) noexcept {
    constexpr std::string_view scheme = "tcp://";
    if (endpoint.substr(0, scheme.size()) != scheme) return true;
    endpoint.remove_prefix(scheme.size());
    for (;;) {
        const auto end = endpoint.find(';');
        const std::string_view address = endpoint.substr(0, end);
        const auto colon = address.rfind(':');
        if (colon != std::string_view::npos) {
            const std::string_view port = address.substr(colon + 1);
            if (!port.empty() && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                if (port.size() > 5) return false;
                int value = 0;
                for (char c : port) value = value * 10 + (c - '0');
                if (value > 65535) return false;
            }
        }
        if (end == std::string_view::npos) return true;
        endpoint.remove_prefix(end + 1);
    }
}

}  // namespace

// The ZMQ_FD watch: multishot, so it is armed once, the first time someone
// waits, and completes at every wake-up of the fd (libzmq's edge) until the
// socket closes; nothing is re-armed per wait. Heap-allocated so that a
// socket closed while its watch is pending can leave it behind: the watch's
// final completion frees it.
struct socket::core : detail::io_operation {
    socket* owner;
    bool poll_armed = false;

    explicit core(socket* s) : owner(s) {
        events = POLLIN;  // of fd, ZMQ_FD, which the socket's constructor reads
        multishot = true;
        on_complete = [](detail::io_operation* op, int result, bool more) noexcept {
            auto* c = static_cast<core*>(op);
            if (!more) c->poll_armed = false;
            if (!c->owner) {
                if (!more) delete c;  // orphaned by close()
                return;
            }
            if (result < 0 && result != -ECANCELED)
                c->owner->fail_waiters(-result);
            else
                c->owner->serve();  // re-arms if the watch ended
        };
    }
};

socket::socket(scheduler& s, void* context, ::zmq::socket_type type)
    : scheduler_(&s), context_(context), type_(type), core_(nullptr) {
    // Bookkeeping first: once libzmq made the socket, nothing here throws
    // before the socket owns it.
    auto identity = std::make_shared<detail::socket_identity>();
    identity->name = type_name(type);
    auto c = std::make_unique<core>(this);
    identity_ = std::move(identity);
    handle_ = zmq_socket(context, static_cast<int>(type));
    if (!handle_) throw_error("create", zmq_errno());
    std::size_t size = sizeof c->fd;
    const int linger = default_linger_ms;
    if (zmq_getsockopt(handle_, ZMQ_FD, &c->fd, &size) != 0 ||
        zmq_setsockopt(handle_, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        const int error = zmq_errno();
        zmq_close(handle_);
        throw_error("create", error);
    }
    identity_->handle = handle_;
    identity_->owner = this;
    core_ = c.release();
    detail::scheduler_access::add_resource(*scheduler_, this);
}

socket::~socket() { close(); }

socket::socket(socket&& other)
    : scheduler_(other.scheduler_), context_(other.context_), type_(other.type_), core_(nullptr) {
    take_over(other, other.prepare_move("socket(socket&&)"));
}

socket& socket::operator=(socket&& other) {
    if (&other == this) return *this;
    auto left = other.prepare_move("operator=(socket&&)");
    if (core_ && !scheduler_->on_owner_thread()) throw_unusable("operator=(socket&&)");
    close();  // nothing throws from here on
    scheduler_ = other.scheduler_;
    context_ = other.context_;
    type_ = other.type_;
    take_over(other, std::move(left));
    return *this;
}

std::shared_ptr<detail::socket_identity> socket::prepare_move(const char* operation) const {
    if (core_) {  // a closed socket hands over nothing but its name
        if (!scheduler_->on_owner_thread()) throw_unusable(operation);
        if (has_waiters())
            throw std::logic_error(describe(operation) +
                                   ": coroutines are waiting on it (a socket moves only while none does)");
    }
    auto left = std::make_shared<detail::socket_identity>();
    left->name = identity_->name;
    return left;
}

void socket::take_over(socket& other, std::shared_ptr<detail::socket_identity> left) noexcept {
    handle_ = std::exchange(other.handle_, nullptr);
    core_ = std::exchange(other.core_, nullptr);
    identity_ = std::exchange(other.identity_, std::move(left));
    if (!core_) return;
    core_->owner = this;
    identity_->owner = this;
    detail::scheduler_access::remove_resource(*scheduler_, &other);
    detail::scheduler_access::add_resource(*scheduler_, this);
}

void socket::close() noexcept {
    if (!core_) return;
    core* c = std::exchange(core_, nullptr);
    for (auto* queue : {&readers_, &writers_})
        while (auto* w = queue->front()) finish(w, detail::outcome::closed);
    if (c->poll_armed) {
        c->owner = nullptr;
        detail::scheduler_access::cancel(*scheduler_, c);
    } else {
        delete c;
    }
    zmq_close(handle_);
    handle_ = nullptr;
    identity_->handle = nullptr;
    identity_->owner = nullptr;
    detail::scheduler_access::remove_resource(*scheduler_, this);
}

void socket::on_scheduler_shutdown() noexcept {
    if (!core_) return;
    // A finite linger is the user's to choose (zring's default is
    // default_linger_ms); only an infinite one could hang the context.
    int linger = -1;
    std::size_t size = sizeof linger;
    zmq_getsockopt(handle_, ZMQ_LINGER, &linger, &size);
    if (linger < 0) {
        linger = shutdown_linger_ms;
        zmq_setsockopt(handle_, ZMQ_LINGER, &linger, sizeof linger);
    }
    close();
}

std::string socket::describe(const char* operation) const {
    return "zring::socket(" + identity_->name + ")::" + operation;
}

void socket::throw_error(const char* operation, int error) const { throw socket_error(error, describe(operation)); }

void socket::throw_unusable(const char* operation) const {
    if (!core_) throw socket_closed(describe(operation));
    throw std::logic_error(describe(operation) +
                           ": used from a thread other than its scheduler's (a socket belongs to one scheduler)");
}

::zmq::socket_ref socket::native(const char* operation) {
    void* raw = check_usable(operation);
    if (has_waiters()) {
        // The caller's use of the socket comes after this returns.
        scheduler_->call_soon([identity = identity_]() noexcept {
            if (socket* s = identity->owner) s->reserve_waiters();
        });
    }
    return ::zmq::socket_ref(::zmq::from_handle, raw);
}

void socket::note_endpoint(const std::string& endpoint) {
    // Name the socket after its first endpoint; a wildcard port resolves to the real one.
    std::string& name = identity_->name;
    if (name.find(' ') != std::string::npos) return;
    char resolved[256];
    std::size_t size = sizeof resolved;
    if (zmq_getsockopt(handle_, ZMQ_LAST_ENDPOINT, resolved, &size) == 0 && size > 1)
        name += ' ' + std::string(resolved);
    else
        name += ' ' + endpoint;
}

void socket::after_command(int rc, const char* operation, const std::string* endpoint) {
    const int error = rc != 0 ? zmq_errno() : 0;
    reserve_waiters();  // failed or not, libzmq may have processed its commands
    if (rc == 0) return;
    if (endpoint) throw_error((std::string(operation) + "(" + *endpoint + ")").c_str(), error);
    throw_error(operation, error);
}

void* socket::check_endpoint(const char* operation, const std::string& endpoint) const {
    void* raw = check_usable(operation);
    if (!tcp_ports_valid(endpoint))
        throw_error((std::string(operation) + "(" + endpoint + "): port out of range").c_str(), EINVAL);
    return raw;
}

void socket::bind(const std::string& endpoint) {
    after_command(zmq_bind(check_endpoint("bind", endpoint), endpoint.c_str()), "bind", &endpoint);
    note_endpoint(endpoint);
}

void socket::connect(const std::string& endpoint) {
    after_command(zmq_connect(check_endpoint("connect", endpoint), endpoint.c_str()), "connect", &endpoint);
    note_endpoint(endpoint);
}

void socket::unbind(const std::string& endpoint) {
    after_command(zmq_unbind(check_usable("unbind"), endpoint.c_str()), "unbind", &endpoint);
}

void socket::disconnect(const std::string& endpoint) {
    after_command(zmq_disconnect(check_usable("disconnect"), endpoint.c_str()), "disconnect", &endpoint);
}

void socket::subscribe(std::string_view prefix) {
    after_command(zmq_setsockopt(check_usable("subscribe"), ZMQ_SUBSCRIBE, prefix.data(), prefix.size()), "subscribe");
}

void socket::unsubscribe(std::string_view prefix) {
    after_command(zmq_setsockopt(check_usable("unsubscribe"), ZMQ_UNSUBSCRIBE, prefix.data(), prefix.size()),
                  "unsubscribe");
}

// ---- the waiter queues ----

void socket::enqueue(waiter_type* w, bool fresh_eagain) {
    auto& queue = w->inbound ? readers_ : writers_;
    queue.push_back(w);
    // An attempt that just failed with EAGAIN after processing libzmq's
    // commands left ZMQ_FD armed, as reading ZMQ_EVENTS would: with nobody
    // else waiting there is nothing to re-check, and every extra check costs
    // a syscall and tells the sender the pipe is empty again.
    const bool alone = queue.front() == w && !queue.next(w) && !has_waiters(!w->inbound);
    if (fresh_eagain && alone)
        arm_poll();
    else
        serve();  // the message may have just arrived, or others may now proceed
}

void socket::unlink(waiter_type* w) noexcept { (w->inbound ? readers_ : writers_).erase(w); }

void socket::finish(waiter_type* w, detail::outcome outcome, int error) noexcept {
    unlink(w);
    w->conclude(outcome, error);
    scheduler_->schedule(w->resumed);
}

void socket::expire(waiter_type* w) noexcept {
    if (!w->committed) finish(w, detail::outcome::timed_out);
}

void socket::fail_waiters(int error) noexcept {
    for (auto* queue : {&readers_, &writers_})
        while (auto* w = queue->front()) finish(w, detail::outcome::failed, error);
}

void socket::serve() noexcept {
    for (int idle_rounds = 0;;) {
        // Both queues, always: readers progressing must not starve writers.
        const bool readers_progressed = detail::serve_in_order(readers_, *scheduler_);
        const bool writers_progressed = detail::serve_in_order(writers_, *scheduler_);
        const bool progressed = readers_progressed || writers_progressed;
        if (!has_waiters()) return;
        // Reading ZMQ_EVENTS processes libzmq's pending commands and re-arms
        // the edge of ZMQ_FD: after it, a change of state signals the fd.
        int events = 0;
        std::size_t size = sizeof events;
        if (zmq_getsockopt(handle_, ZMQ_EVENTS, &events, &size) != 0) {
            fail_waiters(zmq_errno());
            return;
        }
        const bool ready =
            ((events & ZMQ_POLLIN) && !readers_.empty()) || ((events & ZMQ_POLLOUT) && !writers_.empty());
        if (!ready) break;
        // Ready but nobody could proceed twice running: the poll decides.
        idle_rounds = progressed ? 0 : idle_rounds + 1;
        if (idle_rounds > 1) break;
    }
    arm_poll();
}

void socket::arm_poll() noexcept {
    if (core_->poll_armed) return;
    if (!detail::scheduler_access::start(*scheduler_, core_)) {
        // The kernel takes no more: waiting would be forever, so say so.
        fail_waiters(ENOBUFS);
        return;
    }
    core_->poll_armed = true;
}

// ---- operations ----

}  // namespace zring
