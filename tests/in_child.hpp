#pragma once
// Running part of a test in a child process under a seccomp filter.

#include "seccomp.hpp"

#include <catch2/catch.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern char** environ;

namespace zring_test {

// Runs body in a child process that refuses `syscalls` with `error`, and
// returns body's result as the child's exit status: 0 for success, a number
// naming the failed step otherwise (100: the filter was refused, 101: body
// threw, 102: the child died or could not start).
//
// The child is this test binary run afresh (posix_spawn of /proc/self/exe)
// for the current test case, told through ZRING_TEST_CHILD which call of
// in_child_refusing it is; the calls before it return 0 at once. A plain
// fork would copy a multithreaded process whose other threads may hold
// locks (the sanitizers' allocator's among them) that nobody would release.
inline int in_child_refusing(const std::vector<long>& syscalls, int error, const std::function<int()>& body) {
    // Calls are counted per test case.
    static std::string counted_test;
    static int calls = 0;
    const std::string test = Catch::getResultCapture().getCurrentTestName();
    if (test != counted_test) {
        counted_test = test;
        calls = 0;
    }
    const int call = ++calls;
    if (const char* child = std::getenv("ZRING_TEST_CHILD")) {
        if (std::atoi(child) != call) return 0;
        if (!refuse_syscalls(syscalls, error)) std::_Exit(100);
        int status = 101;
        try {
            status = body();
        } catch (...) {
        }
        std::fflush(nullptr);
        std::_Exit(status);
    }
    // Catch2 reads a comma in a test name as a separator: escape it.
    std::string filter;
    for (char c : test) {
        if (c == ',' || c == '[' || c == '\\') filter += '\\';
        filter += c;
    }
    std::vector<std::string> env_strings{"ZRING_TEST_CHILD=" + std::to_string(call)};
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "ZRING_TEST_CHILD=", 17) != 0) env_strings.emplace_back(*e);
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    std::string exe = "/proc/self/exe";
    std::vector<char*> argv{exe.data(), filter.data(), nullptr};
    pid_t pid = 0;
    if (::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), env.data()) != 0) return 102;
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 102;
    return WEXITSTATUS(status);
}

}  // namespace zring_test
