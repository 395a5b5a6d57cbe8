// The io_uring backend of a zring built without liburing: the scheduler's
// automatic choice takes epoll, and asking for io_uring says why it cannot.

#include "io_backend.hpp"

#include <zring/io/errors.hpp>

#include <cerrno>

namespace zring::detail {

std::unique_ptr<io_backend> make_uring_backend(unsigned, int, bool, ring_features&) {
    throw io_uring_unavailable(ENOSYS, "zring::scheduler: io_uring: this zring was built without liburing (epoll only)");
}

}  // namespace zring::detail
