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

// An operation did not complete within its timeout.
class timed_out : public std::runtime_error {
public:
    explicit timed_out(const std::string& operation) : std::runtime_error(operation + ": timed out") {}
};

}  // namespace zring
