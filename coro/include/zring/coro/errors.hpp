#pragma once
// The coroutine core's exceptions, one per failure users handle differently.

#include <stdexcept>
#include <string>

namespace zring {

// Thrown by a suspending operation that ended because stop was requested.
// The object the operation was on stays usable.
class operation_cancelled : public std::runtime_error {
public:
    explicit operation_cancelled(const std::string& operation)
        : std::runtime_error(operation + ": operation cancelled") {}
};

// Thrown to coroutines still waiting on a primitive (event, mutex, poller, ...)
// when it is destroyed. Nothing of the dead object is touched to report it.
class object_destroyed : public std::logic_error {
public:
    explicit object_destroyed(const std::string& operation)
        : std::logic_error(operation + ": the object was destroyed while the operation waited") {}
};

}  // namespace zring
