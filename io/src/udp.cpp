#include <zring/io/errors.hpp>
#include <zring/io/udp.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace zring {

udp_socket::udp_socket(scheduler& s, int fd) : scheduler_(&s), fd_(fd) {
    try {
        name_ = std::make_shared<const std::string>("zring::udp_socket(" + endpoint::local_of(fd).to_string() + ")");
    } catch (...) {
        ::close(fd);
        throw;
    }
    detail::scheduler_access::add_resource(s, this);
}

udp_socket udp_socket::bind(scheduler& s, std::string_view at, bool reuse_address) {
    const endpoint e = endpoint::parse(at);
    const std::string what = "zring::udp_socket::bind(" + std::string(at) + ")";
    if (e.family() != AF_INET && e.family() != AF_INET6) throw std::invalid_argument(what + ": not an IP endpoint");
    const int fd = ::socket(e.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::system_category(), what + ": socket");
    const int one = 1;
    if ((reuse_address && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) ||
        ::bind(fd, e.data(), e.size()) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::system_category(), what);
    }
    return udp_socket(s, fd);
}

udp_socket::udp_socket(udp_socket&& other) : scheduler_(other.scheduler_) {
    other.check_usable("udp_socket(udp_socket&&)");
    if (other.receiving_ || other.sending_)
        throw std::logic_error(other.name() + ": moved while operations wait on it");
    fd_ = std::exchange(other.fd_, -1);
    name_ = other.name_;
    detail::scheduler_access::remove_resource(*scheduler_, &other);
    detail::scheduler_access::add_resource(*scheduler_, this);
}

udp_socket::~udp_socket() {
    close();
    stop_operations(detail::outcome::destroyed);
}

void udp_socket::check_usable(const char* operation) const {
    if (fd_ < 0) throw stream_closed(name() + "::" + operation);
    if (!scheduler_->on_owner_thread())
        throw std::logic_error(name() + "::" + operation +
                               ": used from a thread other than its scheduler's (a socket belongs to one scheduler)");
}

void udp_socket::connect(std::string_view to) {
    check_usable("connect");
    const endpoint e = endpoint::parse(to);
    if (::connect(fd_, e.data(), e.size()) != 0)
        throw std::system_error(errno, std::system_category(), name() + "::connect(" + std::string(to) + ")");
}

void udp_socket::close() noexcept {
    if (fd_ < 0) return;
    stop_operations(detail::outcome::closed);
    detail::scheduler_access::close_fd(*scheduler_, std::exchange(fd_, -1));
    detail::scheduler_access::remove_resource(*scheduler_, this);
}

void udp_socket::stop_operations(detail::outcome why) noexcept {
    for (auto* op : {receiving_, sending_})
        if (op) op->stop_for_owner(why, name_);
    if (why == detail::outcome::destroyed) receiving_ = sending_ = nullptr;
}

namespace detail {


void send_to_step::fill() noexcept {
    iov.iov_base = const_cast<std::byte*>(bytes.data());
    iov.iov_len = bytes.size();
    message = {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    if (to) {
        message.msg_name = to->data();
        message.msg_namelen = to->size();
    }
}


void send_to_step::prepare(udp_socket&, io_operation& op) noexcept {
    fill();
    op.kind = io_kind::sendmsg;
    op.message = &message;
    op.flags = 0;
}

void recv_from_step::fill() noexcept {
    iov.iov_base = buffer.data();
    iov.iov_len = buffer.size();
    message = {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
}


void recv_from_step::prepare(udp_socket&, io_operation& op) noexcept {
    fill();
    op.kind = io_kind::recvmsg;
    op.message = &message;
    op.flags = 0;
}

int recv_from_step::advance(udp_socket&, int result) noexcept {
    got.size = static_cast<std::size_t>(result);
    got.from = endpoint::from(reinterpret_cast<const ::sockaddr*>(&from), message.msg_namelen);
    got.truncated = (message.msg_flags & MSG_TRUNC) != 0;
    return 0;
}

}  // namespace detail

}  // namespace zring
