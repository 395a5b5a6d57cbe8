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
// awaiting coroutine's stop token is requested.

#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

namespace zring {

task<void> proxy(socket& frontend, socket& backend, socket* capture = nullptr, socket* control = nullptr);

}  // namespace zring
