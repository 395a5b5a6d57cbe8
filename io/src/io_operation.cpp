#include <zring/io/detail/io_operation.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace zring::detail {

int try_call(io_operation& op) noexcept {
    for (;;) {
        long rc = -1;
        switch (op.kind) {
            case io_kind::poll: return 0;
            case io_kind::accept: {
                // A multishot accept serves many connections: no one address buffer.
                ::socklen_t room = op.address_length;
                const bool with_address = op.address && !op.multishot;
                rc = ::accept4(op.fd, with_address ? op.address : nullptr, with_address ? &room : nullptr,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (rc >= 0 && with_address) op.address_length = room;
                break;
            }
            case io_kind::connect: {
                int error = 0;
                ::socklen_t size = sizeof error;
                if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return -errno;
                return -error;
            }
            case io_kind::recv: rc = ::recv(op.fd, op.buffer, op.length, op.flags | MSG_DONTWAIT); break;
            case io_kind::send: rc = ::send(op.fd, op.buffer, op.length, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL); break;
            case io_kind::recvmsg: rc = ::recvmsg(op.fd, op.message, op.flags | MSG_DONTWAIT); break;
            case io_kind::sendmsg: rc = ::sendmsg(op.fd, op.message, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL); break;
        }
        if (rc >= 0) return static_cast<int>(rc);
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

}  // namespace zring::detail
