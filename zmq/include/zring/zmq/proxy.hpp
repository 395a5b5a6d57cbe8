#pragma once
// proxy: forward messages between two sockets, like zmq_proxy_steerable,
// as coroutines on the sockets' scheduler.
//
// Messages flow frontend -> backend, and backend -> frontend, wherever the
// socket types allow it (e.g. ROUTER/DEALER both ways, PULL -> PUSH one way).
// capture, if given, receives a copy of every message. control, if given,
// takes the commands PAUSE, RESUME, TERMINATE and STATISTICS (answered with
// eight uint64 frames: frontend messages and bytes in, out; backend the same).
// The proxy returns on TERMINATE, and ends with operation_cancelled when the
// awaiting coroutine's stop token is requested. The four sockets are of one
// engine: zring::socket, or the native zring::zmtp::socket.

#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>
#include <zring/zmq/zmtp_socket.hpp>

namespace zring {

task<void> proxy(socket& frontend, socket& backend, socket* capture = nullptr, socket* control = nullptr);
task<void> proxy(zmtp::socket& frontend, zmtp::socket& backend, zmtp::socket* capture = nullptr,
                 zmtp::socket* control = nullptr);

}  // namespace zring
