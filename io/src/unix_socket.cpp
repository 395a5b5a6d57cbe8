#include "connect_fd.hpp"

#include <zring/io/unix_socket.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace zring {

namespace {
// A client's end is unnamed: the server's path names the stream then.
endpoint named_end(int fd) noexcept {
    endpoint peer = endpoint::peer_of(fd);
    return peer.size() > sizeof(::sa_family_t) ? peer : endpoint::local_of(fd);
}
}  // namespace

unix_stream::unix_stream(scheduler& s, int fd)
    : byte_stream(s, fd, "unix_stream", endpoint::peer_of(fd), named_end(fd)) {}

task<unix_stream> unix_stream::connect(scheduler& s, std::string path, std::optional<duration> timeout,
                                       std::stop_token token) {
    const endpoint to = endpoint::unix_path(path);
    const int fd = co_await detail::connect_fd(s, to, timeout, std::move(token), "unix_stream");
    co_return unix_stream(s, fd);
}

std::pair<unix_stream, unix_stream> unix_stream::pair(scheduler& s) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::system_error(errno, std::system_category(), "zring::unix_stream::pair: socketpair");
    unix_stream first(s, fds[0]);  // owns fds[0] from here, even if the second throws
    try {
        return {std::move(first), unix_stream(s, fds[1])};
    } catch (...) {
        ::close(fds[1]);
        throw;
    }
}

namespace {

// A socket file nobody listens on: connecting is refused.
bool stale_socket_file(const endpoint& at) {
    struct stat st {};
    const std::string path = at.to_string().substr(5);  // "unix:"
    if (path.empty() || path[0] == '@' || ::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) return false;
    const bool refused = ::connect(probe, at.data(), at.size()) != 0 && errno == ECONNREFUSED;
    ::close(probe);
    return refused;
}

}  // namespace

unix_listener unix_listener::listen(scheduler& s, std::string_view path, listen_options options) {
    const endpoint at = endpoint::unix_path(path);
    try {
        return unix_listener(s, at, options);
    } catch (const std::system_error& e) {
        // Probed only now: a probe of a live listener is a connection it sees.
        if (e.code().value() != EADDRINUSE || !stale_socket_file(at)) throw;
    }
    ::unlink(std::string(path).c_str());
    return unix_listener(s, at, options);
}

}  // namespace zring
