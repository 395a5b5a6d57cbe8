#include <zring/zmq/zmtp_socket.hpp>

#include "zmtp/engine.hpp"
#include "zmtp/wire.hpp"

#include <zring/io/timer.hpp>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace zring::zmtp {

namespace {

const char* option_name(int option) noexcept {
    switch (option) {
        case ZMQ_SNDHWM: return "sndhwm";
        case ZMQ_RCVHWM: return "rcvhwm";
        case ZMQ_LINGER: return "linger";
        case ZMQ_ROUTING_ID: return "routing_id";
        case ZMQ_ROUTER_MANDATORY: return "router_mandatory";
        case ZMQ_HEARTBEAT_IVL: return "heartbeat_ivl";
        case ZMQ_HEARTBEAT_TTL: return "heartbeat_ttl";
        case ZMQ_HEARTBEAT_TIMEOUT: return "heartbeat_timeout";
        case ZMQ_RECONNECT_IVL: return "reconnect_ivl";
        case ZMQ_RECONNECT_IVL_MAX: return "reconnect_ivl_max";
        case ZMQ_MAXMSGSIZE: return "maxmsgsize";
        case ZMQ_IMMEDIATE: return "immediate";
        case ZMQ_HANDSHAKE_IVL: return "handshake_ivl";
        case ZMQ_REQ_RELAXED: return "req_relaxed";
        case ZMQ_REQ_CORRELATE: return "req_correlate";
        case ZMQ_SUBSCRIBE: return "subscribe";
        case ZMQ_UNSUBSCRIBE: return "unsubscribe";
        case ZMQ_RCVMORE: return "rcvmore";
        case ZMQ_EVENTS: return "events";
        case ZMQ_TYPE: return "type";
        case ZMQ_LAST_ENDPOINT: return "last_endpoint";
        default: return nullptr;
    }
}

}  // namespace

socket::socket(scheduler& s, ::zmq::socket_type type) : scheduler_(&s), type_(type) {
    const char* name = detail::socket_type_name(type);
    identity_ = std::make_shared<identity_type>();
    identity_->name = name ? name : "socket";
    if (!name)
        throw socket_error(ENOTSUP, describe("socket") + ": the native engine has no socket of type " +
                                        std::to_string(static_cast<int>(type)) +
                                        " (it has PAIR, PUSH, PULL, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER)");
    engine_ = std::make_shared<detail::engine>(s, type, identity_->name);
    handle_ = engine_.get();
    engine_->owner = this;
    identity_->handle = handle_;
    identity_->owner = this;
    zring::detail::scheduler_access::add_resource(s, this);
}

socket::~socket() { close(); }

socket::socket(socket&& other) : scheduler_(other.scheduler_), type_(other.type_) {
    take_over(other, other.prepare_move("socket(socket&&)"));
}

socket& socket::operator=(socket&& other) {
    if (&other == this) return *this;
    auto left = other.prepare_move("operator=(socket&&)");
    if (handle_ && !scheduler_->on_owner_thread()) throw_unusable("operator=(socket&&)");
    close();  // its waiters get socket_closed, as zring::socket's do; nothing throws from here on
    scheduler_ = other.scheduler_;
    type_ = other.type_;
    take_over(other, std::move(left));
    return *this;
}

std::shared_ptr<socket::identity_type> socket::prepare_move(const char* operation) const {
    if (handle_) {  // a closed socket hands over nothing but its name
        if (!scheduler_->on_owner_thread()) throw_unusable(operation);
        if (has_waiters()) throw std::logic_error(describe(operation) + ": moved while coroutines wait on it");
    }
    auto left = std::make_shared<identity_type>();
    left->name = identity_->name;
    return left;
}

void socket::take_over(socket& other, std::shared_ptr<identity_type> left) noexcept {
    engine_ = std::move(other.engine_);
    handle_ = std::exchange(other.handle_, nullptr);
    identity_ = std::exchange(other.identity_, std::move(left));
    if (handle_) {
        handle_->owner = this;
        identity_->owner = this;
        zring::detail::scheduler_access::remove_resource(*scheduler_, &other);
        zring::detail::scheduler_access::add_resource(*scheduler_, this);
    }
}

void socket::close() noexcept {
    if (!handle_) return;
    fail_waiters(zring::detail::outcome::closed);
    std::exchange(handle_, nullptr)->close();
    identity_->handle = nullptr;
    identity_->owner = nullptr;
    zring::detail::scheduler_access::remove_resource(*scheduler_, this);
    std::shared_ptr<detail::engine> e = std::move(engine_);
    // Its connections flush what is queued, within the linger, as long as
    // the loop runs. Closed outside the loop (the socket outlived run(), as
    // libzmq's sockets outlive their loops), the loop runs here until they
    // are done, as zmq_close and the context's end wait for libzmq's I/O
    // thread. A scheduler that is shutting down drops what is queued.
    if (!e->delivering() || zring::scheduler::current() || !scheduler_->on_owner_thread() ||
        !zring::detail::scheduler_access::accepts_work(*scheduler_))
        return;
    try {
        scheduler_->run([](std::shared_ptr<detail::engine> e) -> task<void> {
            while (e->delivering()) co_await sleep_for(std::chrono::milliseconds(1));
        }(e));
    } catch (...) {
        // The scheduler cannot run (it is stopping): what was queued is dropped.
    }
}

std::string socket::describe(const char* operation) const {
    return std::string(class_name) + "(" + identity_->name + ")::" + operation;
}

void socket::throw_unusable(const char* operation) const {
    if (!handle_) throw socket_closed(describe(operation));
    throw std::logic_error(describe(operation) +
                           ": used from a thread other than its scheduler's (a socket belongs to one scheduler)");
}

void socket::throw_error(const char* operation, int error) const { throw socket_error(error, describe(operation)); }

void socket::throw_unsupported(const char* operation, int option) const {
    const char* name = option_name(option);
    throw socket_error(EINVAL, describe(operation) + ": option " + (name ? std::string(name) : std::to_string(option)) +
                                   " is not supported by the native engine");
}

void socket::note_endpoint(const std::string& endpoint) {
    std::string& name = identity_->name;
    if (name.find(' ') == std::string::npos) name += ' ' + endpoint;
}

namespace {

// Runs an engine call, naming the socket and the endpoint in what it throws.
template <class F>
void with_name(const std::string& what, F&& f) {
    try {
        f();
    } catch (const std::system_error& error) {
        // Its text without the code's message, which socket_error adds again.
        std::string_view text = error.what();
        const std::string suffix = ": " + error.code().message();
        if (text.ends_with(suffix)) text.remove_suffix(suffix.size());
        throw socket_error(error.code().value(), what + ": " + std::string(text));
    } catch (const std::invalid_argument& error) {
        throw socket_error(EINVAL, what + ": " + error.what());
    }
}

}  // namespace

void socket::bind(const std::string& endpoint) {
    detail::engine* e = check_usable("bind");
    with_name(describe("bind") + "(" + endpoint + ")", [&] { e->bind(endpoint); });
    note_endpoint(e->last_endpoint);
}

void socket::connect(const std::string& endpoint) {
    detail::engine* e = check_usable("connect");
    with_name(describe("connect") + "(" + endpoint + ")", [&] { e->connect(endpoint); });
    note_endpoint(endpoint);
}

void socket::unbind(const std::string& endpoint) {
    detail::engine* e = check_usable("unbind");
    with_name(describe("unbind") + "(" + endpoint + ")", [&] { e->unbind(endpoint); });
}

void socket::disconnect(const std::string& endpoint) {
    detail::engine* e = check_usable("disconnect");
    with_name(describe("disconnect") + "(" + endpoint + ")", [&] { e->disconnect(endpoint); });
}

void socket::subscribe(std::string_view prefix) {
    detail::engine* e = check_usable("subscribe");
    if (type_ != ::zmq::socket_type::sub) throw socket_error(EINVAL, describe("subscribe") + ": not a SUB socket");
    e->subscribe(prefix, true);
}

void socket::unsubscribe(std::string_view prefix) {
    detail::engine* e = check_usable("unsubscribe");
    if (type_ != ::zmq::socket_type::sub) throw socket_error(EINVAL, describe("unsubscribe") + ": not a SUB socket");
    e->subscribe(prefix, false);
}

std::uint64_t socket::dropped() const noexcept { return handle_ ? handle_->dropped : 0; }

void socket::on_event(std::function<void(const event&)> hook) { check_usable("on_event")->on_event = std::move(hook); }

void socket::set_integer(int option, std::int64_t value) {
    detail::options& o = check_usable("set")->opts;
    const auto as_int = [&] {
        if (value < -1 || value > std::numeric_limits<int>::max())
            throw socket_error(EINVAL, describe("set") + "(" + option_name(option) + "): " + std::to_string(value) +
                                           " is out of range");
        return static_cast<int>(value);
    };
    switch (option) {
        case ZMQ_SNDHWM: o.sndhwm = as_int(); break;
        case ZMQ_RCVHWM:
            o.rcvhwm = as_int();
            handle_->receive_limit_changed();
            break;
        case ZMQ_LINGER: o.linger_ms = as_int(); break;
        case ZMQ_ROUTER_MANDATORY: o.router_mandatory = value != 0; break;
        case ZMQ_HEARTBEAT_IVL: o.heartbeat_ivl_ms = as_int(); break;
        case ZMQ_HEARTBEAT_TTL: o.heartbeat_ttl_ms = as_int(); break;
        case ZMQ_HEARTBEAT_TIMEOUT: o.heartbeat_timeout_ms = as_int(); break;
        case ZMQ_RECONNECT_IVL: o.reconnect_ivl_ms = as_int(); break;
        case ZMQ_RECONNECT_IVL_MAX: o.reconnect_ivl_max_ms = as_int(); break;
        case ZMQ_MAXMSGSIZE: o.maxmsgsize = value; break;
        case ZMQ_IMMEDIATE: o.immediate = value != 0; break;
        case ZMQ_HANDSHAKE_IVL: o.handshake_ivl_ms = as_int(); break;
        case ZMQ_REQ_RELAXED:
        case ZMQ_REQ_CORRELATE:
            if (type_ != ::zmq::socket_type::req) throw_unsupported("set", option);  // as libzmq: REQ's alone
            (option == ZMQ_REQ_RELAXED ? o.req_relaxed : o.req_correlate) = value != 0;
            break;
        default: throw_unsupported("set", option);
    }
    serve();  // a higher-water mark may let senders on
}

void socket::set_bytes(int option, std::string_view value) {
    detail::engine* e = check_usable("set");
    switch (option) {
        case ZMQ_ROUTING_ID:
            if (value.empty() || value.size() > 255 || value[0] == '\0')
                throw socket_error(EINVAL, describe("set") + "(routing_id): 1 to 255 bytes, not starting with a zero byte");
            e->opts.routing_id = value;
            return;
        case ZMQ_SUBSCRIBE: subscribe(value); return;
        case ZMQ_UNSUBSCRIBE: unsubscribe(value); return;
        default: throw_unsupported("set", option);
    }
}

std::int64_t socket::get_integer(int option) const {
    const detail::engine* e = check_usable("get");
    const detail::options& o = e->opts;
    switch (option) {
        case ZMQ_SNDHWM: return o.sndhwm;
        case ZMQ_RCVHWM: return o.rcvhwm;
        case ZMQ_LINGER: return o.linger_ms;
        case ZMQ_ROUTER_MANDATORY: return o.router_mandatory;
        case ZMQ_HEARTBEAT_IVL: return o.heartbeat_ivl_ms;
        case ZMQ_HEARTBEAT_TTL: return o.heartbeat_ttl_ms;
        case ZMQ_HEARTBEAT_TIMEOUT: return o.heartbeat_timeout_ms;
        case ZMQ_RECONNECT_IVL: return o.reconnect_ivl_ms;
        case ZMQ_RECONNECT_IVL_MAX: return o.reconnect_ivl_max_ms;
        case ZMQ_MAXMSGSIZE: return o.maxmsgsize;
        case ZMQ_IMMEDIATE: return o.immediate;
        case ZMQ_HANDSHAKE_IVL: return o.handshake_ivl_ms;
        case ZMQ_REQ_RELAXED: return o.req_relaxed;
        case ZMQ_REQ_CORRELATE: return o.req_correlate;
        case ZMQ_RCVMORE: return e->more();
        case ZMQ_EVENTS: return e->events();
        case ZMQ_TYPE: return static_cast<int>(type_);
        default: throw_unsupported("get", option);
    }
}

std::string socket::get_bytes(int option) const {
    const detail::engine* e = check_usable("get");
    switch (option) {
        case ZMQ_ROUTING_ID: return e->opts.routing_id;
        case ZMQ_LAST_ENDPOINT: return e->last_endpoint;
        default: throw_unsupported("get", option);
    }
}

// ---- the waiter queues ----

void socket::enqueue(waiter_type* w, bool fresh_eagain) {
    auto& queue = w->inbound ? readers_ : writers_;
    queue.push_back(w);
    // The attempt that just failed saw the engine as it is: alone in the
    // queue, the waiter waits for the engine to change.
    const bool alone = queue.front() == w && !queue.next(w) && !has_waiters(!w->inbound);
    if (!(fresh_eagain && alone)) serve();
}

void socket::finish(waiter_type* w, zring::detail::outcome outcome, int error) noexcept {
    unlink(w);
    w->conclude(outcome, error);
    scheduler_->schedule(w->resumed);
}

void socket::fail_waiters(zring::detail::outcome outcome) noexcept {
    for (auto* queue : {&readers_, &writers_})
        while (auto* w = queue->front()) finish(w, outcome);
}

void socket::serve() noexcept {
    // The engine calls back from inside an attempt (a drained pipe is
    // released): the outer call goes round once more instead.
    if (serving_) {
        serve_again_ = true;
        return;
    }
    serving_ = true;
    do {
        serve_again_ = false;
        // A REQ's receive lets it send, a REP's send lets it receive: both, until neither moves.
        for (bool progressed = true; progressed;) {
            const bool readers = zring::detail::serve_in_order(readers_, *scheduler_);
            const bool writers = zring::detail::serve_in_order(writers_, *scheduler_);
            progressed = readers || writers;
        }
    } while (serve_again_);
    serving_ = false;
}

}  // namespace zring::zmtp
