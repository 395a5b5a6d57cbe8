#include <zring/io/errors.hpp>
#include <zring/io/scheduler.hpp>

#include <catch2/catch.hpp>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace {

// In a child process, make io_uring_setup fail with `error` (as a seccomp
// profile or an old kernel would), construct a scheduler and report how it
// failed through the exit status.
int scheduler_exit_status_when_setup_fails_with(int error, const char* expected_text) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
        if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) ::_exit(11);
        try {
            zring::scheduler s;
            ::_exit(12);  // constructed despite the filter
        } catch (const zring::io_uring_unavailable& e) {
            const bool right_code = e.code().value() == error;
            const bool explains = std::string(e.what()).find(expected_text) != std::string::npos;
            ::_exit(right_code && explains ? 0 : 13);
        } catch (...) {
            ::_exit(14);
        }
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("io_uring blocked by seccomp (EPERM) throws io_uring_unavailable explaining why", "[io][scheduler][errors]") {
    CHECK(scheduler_exit_status_when_setup_fails_with(EPERM, "seccomp") == 0);
}

TEST_CASE("a kernel without io_uring (ENOSYS) throws io_uring_unavailable naming the kernel",
          "[io][scheduler][errors]") {
    CHECK(scheduler_exit_status_when_setup_fails_with(ENOSYS, "Linux 5.19") == 0);
}
