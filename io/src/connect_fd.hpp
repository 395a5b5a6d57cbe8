#pragma once
// The connect that tcp_stream and unix_stream share: a new non-blocking
// socket of the endpoint's family, connected by a kernel operation.

#include <zring/coro/task.hpp>
#include <zring/io/detail/fd_operation.hpp>
#include <zring/io/endpoint.hpp>
#include <zring/io/scheduler.hpp>

#include <optional>
#include <stop_token>

namespace zring::detail {

// The connected descriptor. Failures name "zring::<kind>::connect(<to>)":
// std::system_error (ECONNREFUSED, ENOENT, ...), timed_out, operation_cancelled.
task<int> connect_fd(scheduler& s, endpoint to, std::optional<clock::duration> timeout, std::stop_token token,
                     const char* kind);

}  // namespace zring::detail
