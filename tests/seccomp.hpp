#pragma once
// Refusing system calls the way a container's seccomp profile does: for the
// tests that prove zring falls back (in_child.hpp), and for refuse-syscalls,
// which runs a whole command (ctest) that way.

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <vector>

namespace zring_test {

// The three system calls of io_uring: a profile that refuses io_uring refuses all of them.
inline const std::vector<long> io_uring_syscalls{__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register};

// From now on, in this process and every process it starts, each of
// `syscalls` fails with `error`. False if the kernel refused the filter.
inline bool refuse_syscalls(const std::vector<long>& syscalls, int error) {
    std::vector<sock_filter> filter;
    filter.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    for (long nr : syscalls) {
        filter.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1));
        filter.push_back(
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & SECCOMP_RET_DATA)));
    }
    filter.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

}  // namespace zring_test
