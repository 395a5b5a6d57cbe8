// refuse-syscalls: runs a command whose every process sees some system calls
// fail, as under a container's seccomp profile. CI runs the test suite this
// way to prove zring works where io_uring is refused.
//
//     refuse-syscalls io_uring -- ctest --preset release
//     refuse-syscalls io_uring,epoll -- pubsub_demo      (no backend at all)

#include "../seccomp.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const std::map<std::string, std::vector<long>> groups{
        {"io_uring", zring_test::io_uring_syscalls},
        {"epoll", {__NR_epoll_create, __NR_epoll_create1}},
        {"epoll_pwait2", {__NR_epoll_pwait2}},
    };
    if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
        std::fprintf(stderr,
                     "usage: refuse-syscalls GROUP[,GROUP...] -- COMMAND [ARGS...]\n"
                     "groups: io_uring, epoll, epoll_pwait2 (each fails with EPERM)\n");
        return 2;
    }
    std::vector<long> syscalls;
    std::istringstream names(argv[1]);
    for (std::string name; std::getline(names, name, ',');) {
        const auto it = groups.find(name);
        if (it == groups.end()) {
            std::fprintf(stderr, "refuse-syscalls: unknown group '%s' (io_uring, epoll, epoll_pwait2)\n", name.c_str());
            return 2;
        }
        syscalls.insert(syscalls.end(), it->second.begin(), it->second.end());
    }
    if (!zring_test::refuse_syscalls(syscalls, EPERM)) {
        std::fprintf(stderr, "refuse-syscalls: the kernel refused the seccomp filter: %s\n", std::strerror(errno));
        return 2;
    }
    ::execvp(argv[3], argv + 3);
    std::fprintf(stderr, "refuse-syscalls: cannot run %s: %s\n", argv[3], std::strerror(errno));
    return 127;
}
