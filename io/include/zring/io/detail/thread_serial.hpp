#pragma once
// A number that names one thread for the life of the process.
//
// std::thread::id cannot tell a scheduler's own thread from a later one:
// glibc reuses a joined thread's descriptor, and with it the id, for the next
// thread it starts. A scheduler whose thread has exited would then take
// calls from a stranger as its own (spawn inline, a stop callback cancelling
// directly), unsynchronised with anything its thread wrote.

#include <cstdint>

namespace zring::detail {

std::uint64_t next_thread_serial() noexcept;

// Zero until the thread first asks: no initialiser runs on thread start.
inline thread_local std::uint64_t this_thread_serial_value = 0;

inline std::uint64_t this_thread_serial() noexcept {
    if (this_thread_serial_value == 0) [[unlikely]]
        this_thread_serial_value = next_thread_serial();
    return this_thread_serial_value;
}

}  // namespace zring::detail
