#include <zring/io/spawn.hpp>
#include <zring/zmq/stream.hpp>

#include <stdexcept>

namespace zring {

stream::stream(std::unique_ptr<socket> s) : state_(std::make_shared<state>()) {
    if (!s) throw std::invalid_argument("zring::stream: no socket given");
    state_->sock = std::move(s);
}

void stream::on_recv(std::function<void(message&)> callback) {
    if (state_->closed) throw socket_closed("zring::stream(" + state_->sock->name() + ")::on_recv");
    if (!callback) throw std::invalid_argument("zring::stream::on_recv: empty callback");
    state_->callback = std::move(callback);
    if (state_->recv_stop) return;  // the running loop picks up the new callback
    state_->recv_stop = std::make_unique<std::stop_source>();
    spawn(state_->sock->get_scheduler(), receive_loop(state_, state_->recv_stop->get_token()));
}

void stream::stop_on_recv() noexcept {
    // The loop's pending receive is cancelled and has consumed nothing.
    if (auto source = std::move(state_->recv_stop)) source->request_stop();
}

task<void> stream::receive_loop(std::shared_ptr<state> st, std::stop_token token) {
    scheduler& sched = st->sock->get_scheduler();
    while (!st->closed && !token.stop_requested()) {
        message frames;
        try {
            frames = co_await st->sock->recv_multipart(token);
        } catch (const operation_cancelled&) {
            co_return;
        } catch (const socket_closed&) {
            co_return;
        }
        try {
            st->callback(frames);
        } catch (...) {
            sched.report_exception(std::current_exception());
        }
    }
}

void stream::send(std::string_view frame) { send(zmq::message_t(frame.data(), frame.size())); }

void stream::send(zmq::message_t frame) {
    message m;
    m.push_back(std::move(frame));
    send_multipart(std::move(m));
}

void stream::send_multipart(message frames) {
    if (state_->closed) throw socket_closed("zring::stream(" + state_->sock->name() + ")::send");
    if (frames.empty()) throw std::invalid_argument("zring::stream::send_multipart: no frames");
    state_->outbox.push_back(std::move(frames));
    if (state_->sending) return;
    state_->sending = true;
    state_->drained.reset();
    spawn(state_->sock->get_scheduler(), send_loop(state_));
}

task<void> stream::send_loop(std::shared_ptr<state> st) {
    scheduler& sched = st->sock->get_scheduler();
    while (!st->outbox.empty() && !st->closed) {
        message frames = std::move(st->outbox.front());
        st->outbox.pop_front();
        try {
            co_await st->sock->send_multipart(std::move(frames));
        } catch (const socket_closed&) {
            break;
        } catch (...) {
            sched.report_exception(std::current_exception());
        }
    }
    st->sending = false;
    st->drained.set();
}

task<void> stream::flush() {
    auto st = state_;  // the stream may be destroyed while this waits
    co_await st->drained;
}

void stream::close() noexcept {
    if (state_->closed) return;
    state_->closed = true;
    stop_on_recv();
    state_->outbox.clear();
    state_->sock->close();
    state_->drained.set();
}

}  // namespace zring
