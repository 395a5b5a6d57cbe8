#pragma once
// Everything zring offers, for users who want one include.

#include <zring/version.hpp>

#include <zring/coro/cancellation.hpp>
#include <zring/coro/channel.hpp>
#include <zring/coro/event.hpp>
#include <zring/coro/mutex.hpp>
#include <zring/coro/sync_wait.hpp>
#include <zring/coro/task.hpp>
#include <zring/coro/task_group.hpp>
#include <zring/coro/when_all.hpp>
#include <zring/coro/when_any.hpp>

#include <zring/io/byte_stream.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/errors.hpp>
#include <zring/io/offload.hpp>
#include <zring/io/poll.hpp>
#include <zring/io/resume_on.hpp>
#include <zring/io/scheduler.hpp>
#include <zring/io/scheduler_pool.hpp>
#include <zring/io/shared_channel.hpp>
#include <zring/io/signal.hpp>
#include <zring/io/spawn.hpp>
#include <zring/io/stream_listener.hpp>
#include <zring/io/tcp.hpp>
#include <zring/io/thread_pool.hpp>
#include <zring/io/udp.hpp>
#include <zring/io/unix_socket.hpp>
#include <zring/io/timer.hpp>

#include <zring/zmq/errors.hpp>
#include <zring/zmq/monitor.hpp>
#include <zring/zmq/poller.hpp>
#include <zring/zmq/proxy.hpp>
#include <zring/zmq/security.hpp>
#include <zring/zmq/socket.hpp>
#include <zring/zmq/stream.hpp>
#include <zring/zmq/zmtp_socket.hpp>

#include <zring/http/errors.hpp>
#include <zring/http/event_stream.hpp>
#include <zring/http/headers.hpp>
#include <zring/http/request.hpp>
#include <zring/http/response.hpp>
#include <zring/http/response_stream.hpp>
#include <zring/http/server.hpp>
#include <zring/http/websocket.hpp>
