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
