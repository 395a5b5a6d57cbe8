#include "zmtp/engine.hpp"

#include "zmtp/wire.hpp"

#include <zring/io/spawn.hpp>
#include <zring/io/tcp.hpp>
#include <zring/io/timer.hpp>
#include <zring/io/unix_socket.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <cerrno>
#include <cstring>
#include <utility>

namespace zring::zmtp::detail {

// A bind() or a connect(): its listener's accept loop or its connect loop,
// and the stop that unbind() or disconnect() requests of it and its connections.
struct engine::origin {
    std::string endpoint;  // as the user wrote it (and as last_endpoint says it)
    bool bound = false;
    std::stop_source stop;
    pipe* connect_pipe = nullptr;  // a connect()'s
};

namespace {

std::string_view prefix_of(const std::string& p) noexcept { return p; }
std::string_view prefix_of(const std::pair<const std::string, std::size_t>& p) noexcept { return p.first; }

// Whether m starts with one of the prefixes (a PUB's list for a peer, a SUB's counted set).
template <class Prefixes>
bool matches(const Prefixes& prefixes, const ::zmq::message_t& m) noexcept {
    const std::string_view data(static_cast<const char*>(m.data()), m.size());
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const auto& p) {
        const std::string_view prefix = prefix_of(p);
        return data.substr(0, prefix.size()) == prefix;
    });
}

// Counts a holder of prefix in, or out; true if that changed whether any
// holds it (the first subscribe, or the last unsubscribe).
bool count_holder(std::map<std::string, std::size_t, std::less<>>& holders, std::string_view prefix, bool on) {
    const auto it = holders.find(prefix);
    if (on) {
        if (it == holders.end()) {
            holders.emplace(std::string(prefix), 1);
            return true;
        }
        ++it->second;
        return false;
    }
    if (it == holders.end() || --it->second > 0) return false;
    holders.erase(it);
    return true;
}

// ZMTP 3.0's form of a subscription, and an XPUB's or XSUB's user's:
// byte 1 (subscribe) or 0 (cancel), then the prefix.
::zmq::message_t subscription_message(std::string_view prefix, bool on) {
    ::zmq::message_t m(prefix.size() + 1);
    auto* data = static_cast<char*>(m.data());
    data[0] = on ? 1 : 0;
    std::memcpy(data + 1, prefix.data(), prefix.size());
    return m;
}

struct subscription_view {
    std::string_view prefix;
    bool on;
};
std::optional<subscription_view> as_subscription(const ::zmq::message_t& m) noexcept {
    const auto* data = static_cast<const char*>(m.data());
    if (m.size() == 0 || (data[0] != 1 && data[0] != 0)) return std::nullopt;
    return subscription_view{std::string_view(data + 1, m.size() - 1), data[0] == 1};
}

// A peer's distinct subscriptions, past which it is taken for hostile.
constexpr std::size_t subscription_limit = 10'000;

// "tcp://host:port" or "ipc://path": the transport and the address.
std::pair<std::string_view, std::string_view> split_endpoint(std::string_view endpoint) {
    const auto sep = endpoint.find("://");
    if (sep == std::string_view::npos) return {{}, endpoint};
    return {endpoint.substr(0, sep), endpoint.substr(sep + 3)};
}

void check_transport(std::string_view transport, const std::string& endpoint) {
    if (transport == "tcp" || transport == "ipc") return;
    throw std::system_error(EPROTONOSUPPORT, std::generic_category(),
                            "transport '" + std::string(transport) + "' of " + endpoint +
                                " is not one the native engine speaks (tcp, ipc)");
}

// ZeroMQ's spelling of a stream's end: "tcp://127.0.0.1:5555", "ipc://@name"
// (the stream layer spells a Unix address "unix:@name").
std::string zmq_endpoint(const std::string& transport, std::string address) {
    if (transport == "ipc" && address.rfind("unix:", 0) == 0) address.erase(0, 5);
    return transport + "://" + address;
}

template <class Listener>
task<void> accept_loop(std::shared_ptr<engine> e, Listener listener, std::string transport, std::stop_token stop) {
    for (;;) {
        std::optional<byte_stream> stream;
        try {
            auto accepted = co_await listener.accept(std::nullopt, stop);
            stream.emplace(std::move(accepted));
        } catch (const operation_cancelled&) {
            co_return;
        } catch (const stream_closed&) {
            co_return;
        } catch (const std::exception& error) {
            e->report(event_kind::disconnected, zmq_endpoint(transport, listener.local_endpoint().to_string()),
                      std::string("accept failed: ") + error.what());
            co_return;
        }
        // A Unix peer is unnamed: its end is the listener's.
        std::string peer = zmq_endpoint(transport, (transport == "ipc" ? listener.local_endpoint()
                                                                       : stream->peer_endpoint()).to_string());
        spawn(e->sched, [](task<bool> connection) -> task<void> { co_await connection; }(
                            serve_connection(e, std::move(*stream), nullptr, std::move(peer), true, stop)));
    }
}

task<void> connect_loop(std::shared_ptr<engine> e, std::string endpoint, pipe* p, std::stop_token stop) {
    // The pipe is this loop's until it ends: disconnect() only marks it.
    struct release_at_end {
        engine& e;
        pipe& p;
        ~release_at_end() { e.connect_ended(p); }
    } owner{*e, *p};
    const auto [transport, address] = split_endpoint(endpoint);
    const std::string target(address);
    const bool tcp = transport == "tcp";
    auto delay = std::chrono::milliseconds(e->opts.reconnect_ivl_ms);
    for (;;) {
        std::optional<byte_stream> stream;
        std::string failure;
        try {
            if (tcp) {
                auto s = co_await tcp_stream::connect(e->sched, target, std::nullopt, stop);
                stream.emplace(std::move(s));
            } else {
                auto s = co_await unix_stream::connect(e->sched, target, std::nullopt, stop);
                stream.emplace(std::move(s));
            }
        } catch (const operation_cancelled&) {
            co_return;
        } catch (const std::exception& error) {
            failure = error.what();
        }
        if (stream && stop.stop_requested()) co_return;  // disconnected as the connect completed
        if (stream) {
            const bool handshaken = co_await serve_connection(e, std::move(*stream), p, endpoint, false, stop);
            // A peer that refuses the handshake backs off as one that refuses the connection.
            if (handshaken) delay = std::chrono::milliseconds(e->opts.reconnect_ivl_ms);
        } else {
            e->report(event_kind::connect_retried, endpoint, failure);
        }
        if (stop.stop_requested() || e->opts.reconnect_ivl_ms < 0) co_return;
        if (e->closing() && p->out_complete == 0) co_return;  // lingering, and everything went out
        try {
            co_await sleep_for(delay, stop);
        } catch (const operation_cancelled&) {
            co_return;
        }
        // Back-off: doubling up to reconnect_ivl_max, if it is set.
        if (e->opts.reconnect_ivl_max_ms > e->opts.reconnect_ivl_ms)
            delay = std::min(delay * 2, std::chrono::milliseconds(e->opts.reconnect_ivl_max_ms));
    }
}

}  // namespace

engine::engine(scheduler& s, ::zmq::socket_type t, std::string n) : sched(s), type(t), name(std::move(n)) {
    // As libzmq: request ids start anywhere, so that a restarted REQ's
    // first reply is not taken for a stale one's.
    std::random_device seed;
    request_id_ = seed();
}

engine::~engine() = default;

// ---- connections ----

pipe* engine::add_pipe(std::string endpoint, bool persistent) {
    pipes_.push_back(std::make_unique<pipe>(sched, std::move(endpoint), persistent));
    return pipes_.back().get();
}

const char* engine::attach(pipe& p, std::string_view peer_routing_id, bool legacy) {
    if (type == ::zmq::socket_type::pair)
        for (const auto& other : pipes_)
            if (other.get() != &p && other->attached) return "a PAIR socket takes one peer at a time";
    if (type == ::zmq::socket_type::router) {
        if (!peer_routing_id.empty()) {
            if (peer_routing_id[0] == '\0') return "a routing id may not start with a zero byte";
            if (find_routing_id(peer_routing_id)) return "the peer's routing id is in use";
            p.routing_id = peer_routing_id;
        } else {
            // As libzmq makes them: a zero byte, then a 32-bit counter.
            char id[5] = {0};
            const std::uint32_t n = next_routing_id_++;
            std::memcpy(id + 1, &n, sizeof n);
            p.routing_id.assign(id, sizeof id);
        }
    }
    p.attached = true;
    p.legacy_subscriptions = legacy;
    if (subscribes())
        for (const auto& [prefix, count] : subscriptions_) queue_subscription(p, prefix, true);
    notify();
    return nullptr;
}

void engine::detach(pipe& p) noexcept {
    p.attached = false;
    p.connected = false;
    if (type == ::zmq::socket_type::xpub) {
        for (const std::string& prefix : p.subscriptions) {
            try {
                count_subscriber(prefix, false);
            } catch (const std::exception&) {
                // Out of memory for the note: the user misses it; the count is right.
            }
        }
    }
    p.subscriptions.clear();
    p.routing_id.clear();
    p.commands.clear();
    p.pong_owed = false;
    if (p.persistent && !p.removed) {
        // A reconnection starts at a message boundary: a message the user
        // is still sending goes whole to the next connection.
        notify();
        return;
    }
    release(p);
}

void engine::release(pipe& p) noexcept {
    // Its messages wait to be received, or its connect loop still holds it.
    if (p.connected || p.in_messages > 0 || p.looping) return;
    std::erase(drained_, &p);  // released here, not again by release_drained()
    forget(&p);
    const auto it = std::find_if(pipes_.begin(), pipes_.end(), [&](const auto& q) { return q.get() == &p; });
    if (it != pipes_.end()) pipes_.erase(it);
    if (next_ >= pipes_.size()) next_ = 0;
    notify();
}

void engine::forget(pipe* p) noexcept {
    if (req_pipe_ == p) req_pipe_ = nullptr;
    if (reply_pipe_ == p) reply_pipe_ = nullptr;
    if (out_pipe_ == p) {
        out_pipe_ = nullptr;
        out_dropping_ = out_in_message_;  // the rest of the message has nowhere to go
    }
}

void engine::deliver(pipe& p, std::vector<::zmq::message_t>& frames) {
    if (publishes()) {
        // ZMTP 3.0 subscriptions: a message whose first byte is 1 (subscribe) or 0 (cancel).
        const auto s = frames.size() == 1 ? as_subscription(frames[0]) : std::nullopt;
        const bool subscribing = s.has_value();
        if (s) subscription(p, s->prefix, s->on);
        // Anything else is an XSUB's message upstream: an XPUB's user receives it.
        if (subscribing || type == ::zmq::socket_type::pub) {
            frames.clear();
            return;
        }
    }
    if (subscribes() && !matches(subscriptions_, frames[0])) {
        frames.clear();
        return;
    }
    if (type == ::zmq::socket_type::push) {
        frames.clear();
        return;
    }
    // Room first: a message goes into the queue whole or not at all.
    inbound_.reserve_more(frames.size() + 1);
    if (type == ::zmq::socket_type::router)
        inbound_.push_back({::zmq::message_t(p.routing_id.data(), p.routing_id.size()), &p, true});
    for (std::size_t i = 0; i < frames.size(); ++i)
        inbound_.push_back({std::move(frames[i]), &p, i + 1 < frames.size()});
    frames.clear();
    ++p.in_messages;
    notify();
}

void engine::subscription(pipe& p, std::string_view prefix, bool on) {
    if (!publishes()) return;
    const auto it = std::find(p.subscriptions.begin(), p.subscriptions.end(), prefix);
    if (on && it == p.subscriptions.end()) {
        if (p.subscriptions.size() >= subscription_limit)
            throw protocol_error("more than " + std::to_string(subscription_limit) + " subscriptions");
        p.subscriptions.emplace_back(prefix);
    } else if (!on && it != p.subscriptions.end()) {
        p.subscriptions.erase(it);
    } else {
        return;  // the peer holds it already, or never did
    }
    if (type == ::zmq::socket_type::xpub) count_subscriber(prefix, on);
}

void engine::count_subscriber(std::string_view prefix, bool on) {
    if (!count_holder(subscribers_, prefix, on)) return;
    // Subscriptions apply whether or not the user reads the notes (an XPUB
    // may be used as a plain publisher), so no reader ever waits on them;
    // unread notes stop at the socket's rcvhwm (1000 if it has none), and
    // those past it are dropped and counted.
    const std::size_t limit = opts.rcvhwm > 0 ? static_cast<std::size_t>(opts.rcvhwm) : 1000;
    if (notes_queued_ >= limit) {
        ++dropped;
        return;
    }
    ::zmq::message_t note = subscription_message(prefix, on);
    inbound_.reserve_more(1);
    inbound_.push_back({std::move(note), nullptr, false});  // no peer's: it may be gone when taken
    ++notes_queued_;
    notify();
}

void engine::receive_limit_changed() noexcept {
    for (const auto& p : pipes_) p->room.raise();
    notify();
}

void engine::stop_connects() noexcept {
    for (const auto& o : origins_) o->stop.request_stop();
}

std::optional<zring::detail::clock::duration> engine::linger_left() const noexcept {
    if (opts.linger_ms < 0) return std::nullopt;
    const auto spent = zring::detail::clock::now() - closed_at;
    return std::max(zring::detail::clock::duration::zero(), std::chrono::milliseconds(opts.linger_ms) - spent);
}

void engine::connect_ended(pipe& p) noexcept {
    if (std::exchange(p.lingering, false) && --lingering_connects == 0) linger_done_.request_stop();
    p.looping = false;
    if (p.removed) release(p);
}

void engine::took_message(pipe& p) noexcept {
    const bool was_full = !has_room(p);
    --p.out_messages;
    if (was_full) notify();
}

void engine::report(event_kind kind, const std::string& endpoint, std::string reason) noexcept {
    if (!on_event) return;
    try {
        // A copy: the hook may close the socket or replace itself.
        const auto hook = on_event;
        hook(event{kind, endpoint, std::move(reason)});
    } catch (...) {
        // A hook must not throw into the engine; what it threw is dropped with it.
    }
}

void engine::notify() noexcept {
    if (owner) owner->serve();
}

void engine::queue_subscription(pipe& p, std::string_view prefix, bool on) {
    if (p.legacy_subscriptions) {
        // A ZMTP 3.0 peer: a message between user messages.
        p.commands.push_back({subscription_message(prefix, on), 0});
    } else {
        p.commands.push_back({command_body(on ? "SUBSCRIBE" : "CANCEL", as_bytes(prefix)), frame_flag::command});
    }
    p.output.raise();
}

// ---- bind, connect ----

engine::origin* engine::find_origin(const std::string& endpoint, bool bound) noexcept {
    for (const auto& o : origins_)
        if (o->bound == bound && (o->endpoint == endpoint)) return o.get();
    return nullptr;
}

void engine::bind(const std::string& endpoint) {
    const auto [transport, address] = split_endpoint(endpoint);
    check_transport(transport, endpoint);
    auto o = std::make_unique<origin>();
    o->bound = true;
    if (transport == "tcp") {
        std::string where(address);
        if (where.starts_with("*:")) where = "0.0.0.0" + where.substr(1);
        if (where.ends_with(":*")) where = where.substr(0, where.size() - 1) + "0";
        auto listener = tcp_listener::listen(sched, where);
        o->endpoint = "tcp://" + listener.local_endpoint().to_string();
        spawn(sched, accept_loop(shared_from_this(), std::move(listener), "tcp", o->stop.get_token()));
    } else {
        auto listener = unix_listener::listen(sched, address);
        o->endpoint = endpoint;
        spawn(sched, accept_loop(shared_from_this(), std::move(listener), "ipc", o->stop.get_token()));
    }
    last_endpoint = o->endpoint;
    if (o->endpoint != endpoint) {
        // Reachable by what the user wrote too ("tcp://*:0" or the resolved form).
        auto alias = std::make_unique<origin>();
        alias->endpoint = endpoint;
        alias->bound = true;
        origins_.push_back(std::move(alias));
        origins_.back()->stop = o->stop;
    }
    origins_.push_back(std::move(o));
}

void engine::connect(const std::string& endpoint) {
    const auto [transport, address] = split_endpoint(endpoint);
    check_transport(transport, endpoint);
    auto o = std::make_unique<origin>();
    o->endpoint = endpoint;
    o->connect_pipe = add_pipe(endpoint, true);
    o->connect_pipe->looping = true;
    try {
        spawn(sched, connect_loop(shared_from_this(), endpoint, o->connect_pipe, o->stop.get_token()));
    } catch (...) {
        o->connect_pipe->looping = false;
        release(*o->connect_pipe);
        throw;
    }
    origins_.push_back(std::move(o));
    last_endpoint = endpoint;
    notify();  // a sender may queue for the new peer now
}

void engine::unbind(const std::string& endpoint) {
    origin* o = find_origin(endpoint, true);
    if (!o) throw std::system_error(ENOENT, std::generic_category(), "not bound to " + endpoint);
    o->stop.request_stop();  // the listener and its connections end
    const std::stop_token bound = o->stop.get_token();  // o goes with its entry: compare with a copy
    std::erase_if(origins_, [&](const auto& x) { return x->stop.get_token() == bound; });
}

void engine::disconnect(const std::string& endpoint) {
    origin* o = find_origin(endpoint, false);
    if (!o) throw std::system_error(ENOENT, std::generic_category(), "not connected to " + endpoint);
    o->stop.request_stop();
    pipe& p = *o->connect_pipe;
    p.removed = true;  // released when its connect loop ends
    p.out.clear();
    p.out_messages = p.out_complete = 0;
    std::erase_if(origins_, [&](const auto& x) { return x.get() == o; });
    notify();
}

void engine::subscribe(std::string_view prefix, bool on) {
    if (!count_holder(subscriptions_, prefix, on)) return;  // the peers know already
    for (const auto& p : pipes_)
        if (p->attached) queue_subscription(*p, prefix, on);
}

void engine::close() noexcept {
    owner = nullptr;
    on_event = nullptr;  // what it captured may go with the socket; closing is no news
    closed_at = zring::detail::clock::now();
    // Before closing_ stops: a connection in its handshake looks at
    // `lingering` when it hears of the close.
    for (const auto& o : origins_) {
        pipe* p = o->connect_pipe;
        // Connected or not: a connection that drops before it has flushed
        // is made again, as libzmq's sessions reconnect while they linger.
        if (opts.linger_ms != 0 && p && p->looping && p->out_complete > 0) {
            p->lingering = true;  // its loop connects and flushes; stopped at the linger's end
            ++lingering_connects;
        }
    }
    closing_.request_stop();
    for (const auto& o : origins_)
        if (!(o->connect_pipe && o->connect_pipe->lingering)) o->stop.request_stop();
    if (lingering_connects > 0 && opts.linger_ms > 0) {
        try {
            // Ends early once every lingering connect has (connect_ended).
            spawn(sched, [](std::shared_ptr<engine> e) -> task<void> {
                try {
                    co_await sleep_for(std::chrono::milliseconds(e->opts.linger_ms), e->linger_done_.get_token());
                } catch (const operation_cancelled&) {
                }
                e->stop_connects();
            }(shared_from_this()));
        } catch (...) {  // no memory for the timer, or the scheduler is stopping: no linger for them
            stop_connects();
        }
    }
    inbound_.clear();
    notes_queued_ = 0;
    for (const auto& p : pipes_) {
        p->output.raise();  // writers flush what is queued, within the linger
        p->in_messages = 0;
        p->room.raise();
    }
}

// ---- sending ----

pipe* engine::next_pipe() noexcept {
    const std::size_t n = pipes_.size();
    for (std::size_t i = 0; i < n; ++i) {
        pipe& p = *pipes_[(next_ + i) % n];
        if (eligible(p) && has_room(p)) {
            next_ = (next_ + i + 1) % n;
            return &p;
        }
    }
    return nullptr;
}

pipe* engine::find_routing_id(std::string_view id) noexcept {
    for (const auto& p : pipes_)
        if (p->attached && p->routing_id == id) return p.get();
    return nullptr;
}

bool engine::push(pipe& p, ::zmq::message_t&& frame, bool more) noexcept {
    try {
        p.out.push_back({std::move(frame), static_cast<std::uint8_t>(more ? frame_flag::more : 0)});
    } catch (const std::bad_alloc&) {
        return false;
    }
    if (!more) {
        ++p.out_complete;
        p.output.raise();
    }
    return true;
}

int engine::begin_send(::zmq::message_t& frame, bool more) noexcept {
    using t = ::zmq::socket_type;
    out_dropping_ = false;
    out_pipe_ = nullptr;
    const auto s = type == t::xsub && !more ? as_subscription(frame) : std::nullopt;
    if (s) {
        // A subscription: counted, and passed on as a SUB's are.
        try {
            subscribe(s->prefix, s->on);
        } catch (const std::exception&) {
            return ENOMEM;  // out of memory for the commands to the peers
        }
        frame.rebuild();  // taken
        return 0;
    }
    switch (type) {
        case t::pull:
        case t::sub: return ENOTSUP;
        case t::req: {
            const int rc = begin_request();
            if (rc != 0) return rc;
            break;
        }
        case t::push:
        case t::dealer:
            out_pipe_ = next_pipe();
            if (!out_pipe_) return EAGAIN;
            ++out_pipe_->out_messages;
            break;
        case t::pair:
            for (const auto& p : pipes_)
                if (eligible(*p)) out_pipe_ = p.get();
            if (!out_pipe_ || !has_room(*out_pipe_)) return EAGAIN;
            ++out_pipe_->out_messages;
            break;
        case t::rep:
            if (!replying_) return EFSM;
            out_pipe_ = reply_pipe_;
            if (out_pipe_ && out_pipe_->attached) {
                ++out_pipe_->out_messages;
                for (auto& part : envelope_) push(*out_pipe_, std::move(part), true);
            } else {
                out_pipe_ = nullptr;
                out_dropping_ = true;  // its requester is gone: the reply goes nowhere, as in libzmq
            }
            envelope_.clear();
            break;
        case t::router: {
            // The first frame names the peer; it is not sent.
            if (!more) return 0;  // a lone routing id: nothing to send
            const std::string_view id(static_cast<const char*>(frame.data()), frame.size());
            pipe* p = find_routing_id(id);
            if (!p) {
                if (opts.router_mandatory) return EHOSTUNREACH;
                out_dropping_ = true;
            } else if (!has_room(*p)) {
                if (opts.router_mandatory) return EAGAIN;
                out_dropping_ = true;
                ++dropped;
            } else {
                out_pipe_ = p;
                ++p->out_messages;
            }
            out_in_message_ = true;
            frame.rebuild();  // taken
            return 0;
        }
        case t::pub:
        case t::xpub:
        case t::xsub:  // anything but a subscription goes upstream to every publisher
            for (const auto& p : pipes_) {
                p->selected = p->attached && (type == t::xsub || matches(p->subscriptions, frame));
                if (p->selected && !has_room(*p)) {
                    p->selected = false;
                    ++dropped;  // libzmq drops silently; here it is counted
                } else if (p->selected) {
                    ++p->out_messages;
                }
            }
            break;
        default: return ENOTSUP;
    }
    return -1;  // go on: push the frame
}

int engine::begin_request() noexcept {
    if (awaiting_reply_ && !opts.req_relaxed) return EFSM;
    pipe* p = next_pipe();
    if (!p) return EAGAIN;
    try {
        p->out.reserve_more(2);  // the request id and the delimiter: no failure past this point
    } catch (const std::bad_alloc&) {
        return ENOMEM;
    }
    // Whatever is queued answers an earlier request (relaxed: the one
    // abandoned, with what is left of a reply being received): dropped, as
    // libzmq drops it, so that no old reply is taken for the new one's.
    while (!inbound_.empty()) take_frame();
    release_drained();
    in_message_ = more_in_ = false;
    awaiting_reply_ = false;
    out_pipe_ = p;
    ++p->out_messages;
    if (opts.req_correlate) {
        ++request_id_;
        push(*p, ::zmq::message_t(&request_id_, sizeof request_id_), true);  // inline: allocates nothing
    }
    push(*p, ::zmq::message_t(), true);  // the empty delimiter
    req_pipe_ = p;
    return 0;
}

int engine::send(zmq_msg_t* raw, int flags) noexcept {
    ::zmq::message_t& frame = *reinterpret_cast<::zmq::message_t*>(raw);
    static_assert(sizeof(::zmq::message_t) == sizeof(zmq_msg_t), "message_t wraps zmq_msg_t alone");
    const bool more = flags & ZMQ_SNDMORE;
    if (!out_in_message_) {
        const int rc = begin_send(frame, more);
        if (rc >= 0) return rc;
    }
    if (publishes() || type == ::zmq::socket_type::xsub) {
        for (const auto& p : pipes_) {
            if (!p->selected) continue;
            ::zmq::message_t copy;
            copy.copy(frame);  // shares large content, copies small
            push(*p, std::move(copy), more);
        }
    } else if (!out_dropping_ && out_pipe_ && !push(*out_pipe_, std::move(frame), more)) {
        return ENOMEM;
    }
    frame.rebuild();  // taken (or dropped), as libzmq leaves a sent message
    out_in_message_ = more;
    if (!more) {
        if (type == ::zmq::socket_type::req) awaiting_reply_ = true;
        if (type == ::zmq::socket_type::rep) replying_ = false;
        out_dropping_ = false;
    }
    return 0;
}

// ---- receiving ----

in_frame engine::take_frame() noexcept {
    in_frame f = inbound_.pop_front();
    if (!f.from) {
        --notes_queued_;  // an XPUB's subscription note
    } else if (!f.more) {
        pipe& p = *f.from;
        const bool was_full = opts.rcvhwm > 0 && p.in_messages >= static_cast<std::size_t>(opts.rcvhwm);
        --p.in_messages;
        if (was_full) p.room.raise();
        // A gone peer's pipe is released once recv() is done with it.
        if (!p.connected && p.in_messages == 0 && (!p.persistent || p.removed)) drained_.push_back(&p);
    }
    return f;
}

bool engine::begin_receive() noexcept {
    using t = ::zmq::socket_type;
    while (!inbound_.empty()) {
        if (type == t::req) {
            if (take_reply_envelope()) return true;
            continue;
        }
        if (type == t::rep) {
            // The envelope (routing ids, then the empty delimiter) is kept
            // for the reply; a message without one, or without a body
            // after it, is dropped, as libzmq does.
            envelope_.clear();
            pipe* from = inbound_.front().from;
            bool delimited = false;
            bool more = true;
            bool kept = true;
            while (more && !delimited) {
                in_frame f = take_frame();
                more = f.more;
                delimited = f.message.size() == 0;
                try {
                    envelope_.push_back(std::move(f.message));
                } catch (const std::bad_alloc&) {
                    kept = false;
                }
            }
            if (delimited && more && kept) {
                reply_pipe_ = from;
                return true;
            }
            while (more) more = take_frame().more;
            envelope_.clear();
            continue;
        }
        return true;
    }
    return false;
}

bool engine::take_reply_envelope() noexcept {
    // Only the reply from the peer asked, after its request id (with
    // req_correlate) and its empty delimiter; anything else is dropped whole.
    pipe* from = inbound_.front().from;
    in_frame f = take_frame();
    bool ok = from == req_pipe_;
    if (ok && opts.req_correlate) {
        ok = f.more && f.message.size() == sizeof request_id_ &&
             std::memcmp(f.message.data(), &request_id_, sizeof request_id_) == 0;
        if (ok) f = take_frame();
    }
    ok = ok && f.message.size() == 0 && f.more;
    if (ok) return true;
    while (f.more) f = take_frame();
    return false;
}

int engine::recv(zmq_msg_t* raw, int flags) noexcept {
    const int rc = receive(raw, flags);
    release_drained();
    return rc;
}

void engine::release_drained() noexcept {
    while (!drained_.empty()) {
        pipe* p = drained_.back();
        drained_.pop_back();
        release(*p);
    }
}

int engine::receive(zmq_msg_t* raw, int) noexcept {
    using t = ::zmq::socket_type;
    if (type == t::push || type == t::pub) return ENOTSUP;
    if (!in_message_) {
        if (type == t::req && !awaiting_reply_) return EFSM;
        if (type == t::rep && replying_) return EFSM;
        if (!begin_receive()) return EAGAIN;
        in_message_ = true;
    }
    if (inbound_.empty()) return EAGAIN;  // not reached: messages arrive whole
    in_frame f = take_frame();
    ::zmq::message_t& out = *reinterpret_cast<::zmq::message_t*>(raw);
    out = std::move(f.message);
    more_in_ = f.more;
    if (!f.more) {
        in_message_ = false;
        if (type == t::req) awaiting_reply_ = false;
        if (type == t::rep) replying_ = true;
    }
    return 0;
}

int engine::events() const noexcept {
    using t = ::zmq::socket_type;
    int ev = 0;
    const bool can_receive = type != t::push && type != t::pub && (type != t::req || awaiting_reply_) &&
                             (type != t::rep || !replying_);
    if (can_receive && (in_message_ || !inbound_.empty())) ev |= ZMQ_POLLIN;
    switch (type) {
        case t::pub:
        case t::xpub:
        case t::xsub: ev |= ZMQ_POLLOUT; break;
        case t::router:
            // As libzmq's: always, unless router_mandatory makes a send to a
            // full peer fail; then while some connected peer has room.
            if (!opts.router_mandatory || out_in_message_) {
                ev |= ZMQ_POLLOUT;
                break;
            }
            for (const auto& p : pipes_)
                if (p->attached && !p->removed && has_room(*p)) {
                    ev |= ZMQ_POLLOUT;
                    break;
                }
            break;
        case t::rep:
            if (replying_) ev |= ZMQ_POLLOUT;
            break;
        case t::req:
            if (awaiting_reply_ && !opts.req_relaxed) break;
            [[fallthrough]];
        case t::push:
        case t::dealer:
        case t::pair:
            if (out_in_message_) {
                ev |= ZMQ_POLLOUT;
                break;
            }
            for (const auto& p : pipes_)
                if (eligible(*p) && has_room(*p)) {
                    ev |= ZMQ_POLLOUT;
                    break;
                }
            break;
        default: break;
    }
    return ev;
}

// ---- the operations' entry points ----

int msg_recv(engine* e, zmq_msg_t* message, int flags) noexcept { return e->recv(message, flags); }
int msg_send(engine* e, zmq_msg_t* message, int flags) noexcept { return e->send(message, flags); }
bool msg_more(engine* e, zmq_msg_t*) noexcept { return e->more(); }
int socket_events(engine* e, int& events) noexcept {
    events = e->events();
    return 0;
}

}  // namespace zring::zmtp::detail
