#pragma once
// Exceptions of the ZeroMQ layer.

#include <stdexcept>
#include <string>
#include <system_error>

namespace zring {

// libzmq's error codes (errno values plus EFSM, ETERM, ...), with
// zmq_strerror's text.
const std::error_category& zmq_category() noexcept;

// A libzmq call failed; code() holds the zmq errno.
class socket_error : public std::system_error {
public:
    socket_error(int zmq_errno, const std::string& what) : std::system_error(zmq_errno, zmq_category(), what) {}
};

// The socket was closed before or while the operation waited.
class socket_closed : public std::runtime_error {
public:
    explicit socket_closed(const std::string& operation) : std::runtime_error(operation + ": socket is closed") {}
};

}  // namespace zring
