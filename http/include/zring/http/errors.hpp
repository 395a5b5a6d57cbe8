#pragma once
// Exceptions of the http part.

#include <stdexcept>
#include <string>

namespace zring::http {

// Thrown by a handler to answer with a status other than 500 (Tornado's
// HTTPError): `throw http_error(404, "no such item")`. The message is the
// response's body; it is not logged.
class http_error : public std::runtime_error {
public:
    http_error(int status, const std::string& message = {}) : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

// The client went away (reset, closed) while a response was being written.
class client_disconnected : public std::runtime_error {
public:
    explicit client_disconnected(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace zring::http
