#include <zring/coro/event.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/zmq/proxy.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace zring {

namespace {

bool can_receive(zmq::socket_type t) { return t != zmq::socket_type::pub && t != zmq::socket_type::push; }
bool can_send(zmq::socket_type t) { return t != zmq::socket_type::sub && t != zmq::socket_type::pull; }

struct proxy_state {
    event running{true};
    bool terminating = false;
    // frontend in: messages, bytes; out: messages, bytes; then the backend's.
    std::array<std::uint64_t, 8> statistics{};
};

template <class Socket>
task<void> forward(Socket& from, Socket& to, Socket* capture, proxy_state& st, std::size_t in, std::size_t out) {
    try {
        for (;;) {
            auto frames = co_await from.recv_multipart();
            co_await st.running;  // paused: hold it, even if it arrived during the pause
            std::uint64_t bytes = 0;
            for (auto& f : frames) bytes += f.size();
            if (capture) {
                std::vector<zmq::message_t> copy;
                for (auto& f : frames) copy.emplace_back(f.data(), f.size());
                co_await capture->send_multipart(std::move(copy));
            }
            st.statistics[in] += 1;
            st.statistics[in + 1] += bytes;
            co_await to.send_multipart(std::move(frames));
            st.statistics[out] += 1;
            st.statistics[out + 1] += bytes;
        }
    } catch (const operation_cancelled&) {
        if (!st.terminating) throw;
    }
}

template <class Socket>
task<void> steer(Socket& control, task_group& group, proxy_state& st) {
    try {
        for (;;) {
            const zmq::message_t message = co_await control.recv();
            const std::string command = message.to_string();
            if (command == "PAUSE") {
                st.running.reset();
            } else if (command == "RESUME") {
                st.running.set();
            } else if (command == "TERMINATE") {
                st.terminating = true;
                group.request_stop();
                co_return;
            } else if (command == "STATISTICS") {
                std::vector<zmq::message_t> reply;
                for (std::uint64_t v : st.statistics) reply.emplace_back(&v, sizeof v);
                co_await control.send_multipart(std::move(reply));
            }
        }
    } catch (const operation_cancelled&) {
        if (!st.terminating) throw;
    }
}

template <class Socket>
task<void> run_proxy(Socket& frontend, Socket& backend, Socket* capture, Socket* control) {
    proxy_state st;
    co_await with_task_group([&](task_group& group) -> task<void> {
        if (can_receive(frontend.type()) && can_send(backend.type()))
            group.spawn(forward(frontend, backend, capture, st, 0, 6));
        if (can_receive(backend.type()) && can_send(frontend.type()))
            group.spawn(forward(backend, frontend, capture, st, 4, 2));
        if (control) group.spawn(steer(*control, group, st));
        co_return;
    });
}

}  // namespace

task<void> proxy(socket& frontend, socket& backend, socket* capture, socket* control) {
    return run_proxy(frontend, backend, capture, control);
}

task<void> proxy(zmtp::socket& frontend, zmtp::socket& backend, zmtp::socket* capture, zmtp::socket* control) {
    return run_proxy(frontend, backend, capture, control);
}

}  // namespace zring
