#pragma once
// Exceptions of the io layer, one per failure users handle differently.

#include <stdexcept>
#include <string>
#include <system_error>

namespace zring {

// The kernel refused io_uring (too old, disabled by sysctl, blocked by seccomp).
class io_uring_unavailable : public std::system_error {
public:
    io_uring_unavailable(int error, const std::string& what) : std::system_error(error, std::system_category(), what) {}
};

// Work was handed to a scheduler that has shut down (or did so before it
// could run the work): a resume_on, spawn, call_soon_threadsafe or offload
// completion aimed at it.
class scheduler_stopped : public std::runtime_error {
public:
    explicit scheduler_stopped(const std::string& operation)
        : std::runtime_error(operation + ": the scheduler has shut down") {}
};

// offload() on a thread_pool that has shut down.
class thread_pool_stopped : public std::runtime_error {
public:
    explicit thread_pool_stopped(const std::string& operation)
        : std::runtime_error(operation + ": the thread pool has shut down") {}
};

// An operation did not complete within its timeout.
class timed_out : public std::runtime_error {
public:
    explicit timed_out(const std::string& operation) : std::runtime_error(operation + ": timed out") {}
};

}  // namespace zring
