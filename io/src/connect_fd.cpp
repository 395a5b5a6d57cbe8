#include "connect_fd.hpp"

#include <zring/io/errors.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <coroutine>
#include <string>
#include <system_error>
#include <utility>

namespace zring::detail {

namespace {

// The descriptor of a connection under way, closed unless handed over.
struct fd_guard {
    scheduler& s;
    int fd;
    ~fd_guard() {
        if (fd >= 0) scheduler_access::close_fd(s, fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

// One connect, a kernel operation on the scheduler.
class connect_call : public fd_operation {
public:
    connect_call(scheduler& s, int sock, const endpoint& to, std::optional<duration> timeout, std::stop_token token)
        : fd_operation(s, std::move(token), timeout), to_(to) {
        fd = sock;
        drive([](fd_operation&, int) noexcept { return 0; },
              [](fd_operation& op) noexcept {
                  auto& self = static_cast<connect_call&>(op);
                  op.kind = io_kind::connect;
                  op.address = self.to_.data();
                  op.address_length = self.to_.size();
              });
    }
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) {
        return begin(h);
    }
    outcome await_resume() noexcept { return end(); }
    int failure() const noexcept { return error(); }

private:
    endpoint to_;
};

}  // namespace

task<int> connect_fd(scheduler& s, endpoint to, std::optional<clock::duration> timeout, std::stop_token token,
                     const char* kind) {
    const std::string what = std::string("zring::") + kind + "::connect(" + to.to_string() + ")";
    fd_guard sock{s, ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (sock.fd < 0) throw std::system_error(errno, std::system_category(), what + ": socket");
    connect_call call(s, sock.fd, to, timeout, std::move(token));
    const outcome o = co_await call;
    switch (o) {
        case outcome::done: break;
        case outcome::cancelled: throw operation_cancelled(what);
        case outcome::timed_out: throw timed_out(what);
        default: throw std::system_error(call.failure(), std::system_category(), what);
    }
    co_return sock.release();
}

}  // namespace zring::detail
