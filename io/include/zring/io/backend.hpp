#pragma once
// Which kernel mechanism a scheduler waits on.
//
// io_uring is the fast path: readiness polls are multishot, and submitting
// and waiting is one system call per loop turn. epoll runs where io_uring is
// refused (container seccomp profiles, gVisor, kernel.io_uring_disabled).
// Both give the same guarantees; see the README for how they differ.

#include <string_view>

namespace zring {

enum class backend {
    automatic,  // io_uring if the kernel allows it, else epoll (ZRING_BACKEND=auto)
    io_uring,
    epoll,
};

// Whether this build of zring has backend b. A zring built without liburing
// has epoll only: its schedulers' automatic choice is epoll, and asking for
// io_uring throws io_uring_unavailable (ENOSYS).
bool has_backend(backend b) noexcept;

// "auto", "io_uring" or "epoll": the spelling ZRING_BACKEND accepts.
constexpr std::string_view to_string(backend b) noexcept {
    switch (b) {
        case backend::io_uring: return "io_uring";
        case backend::epoll: return "epoll";
        case backend::automatic: break;
    }
    return "auto";
}

}  // namespace zring
