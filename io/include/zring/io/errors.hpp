#pragma once
// Exceptions of the io layer, one per failure users handle differently.

#include <zring/coro/errors.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>

namespace zring {

// The kernel refused io_uring (too old, disabled by sysctl, blocked by seccomp).
class io_uring_unavailable : public std::system_error {
public:
    io_uring_unavailable(int error, const std::string& what) : std::system_error(error, std::system_category(), what) {}
};

// Work was handed to a scheduler that has shut down (or did so before it
// could run the work): a resume_on, spawn, call_soon_threadsafe or offload
// completion aimed at it.
class scheduler_stopped : public std::runtime_error {
public:
    explicit scheduler_stopped(const std::string& operation)
        : std::runtime_error(operation + ": the scheduler has shut down") {}
};

// offload() on a thread_pool that has shut down.
class thread_pool_stopped : public std::runtime_error {
public:
    explicit thread_pool_stopped(const std::string& operation)
        : std::runtime_error(operation + ": the thread pool has shut down") {}
};

// An operation did not complete within its timeout.
class timed_out : public std::runtime_error {
public:
    explicit timed_out(const std::string& operation) : std::runtime_error(operation + ": timed out") {}
};

// A stream or listener was used after close(), or closed while the
// operation waited.
class stream_closed : public std::runtime_error {
public:
    explicit stream_closed(const std::string& operation) : std::runtime_error(operation + ": the stream is closed") {}
};

// The peer ended the stream before a read had what it asked for. Nothing
// was consumed: what did arrive is still there for read_some.
class end_of_stream : public std::runtime_error {
public:
    end_of_stream(const std::string& operation, std::size_t buffered)
        : std::runtime_error(operation + ": the peer ended the stream" +
                             (buffered ? " after " + std::to_string(buffered) + " byte(s) of what was asked" : "")),
          buffered_(buffered) {}
    // Bytes that arrived before the end, left in the stream.
    std::size_t buffered() const noexcept { return buffered_; }

private:
    std::size_t buffered_;
};

// read_until found no delimiter within its max_bytes. The stream is closed:
// a peer that sends that much without one is not speaking the protocol.
class read_limit_exceeded : public std::runtime_error {
public:
    read_limit_exceeded(const std::string& operation, std::size_t max_bytes)
        : std::runtime_error(operation + ": no delimiter within " + std::to_string(max_bytes) +
                             " bytes; the stream is closed") {}
};

// A write stopped, or out of time, after written() of its bytes went out.
class write_cancelled : public operation_cancelled {
public:
    write_cancelled(const std::string& operation, std::size_t written)
        : operation_cancelled(operation + " (" + std::to_string(written) + " byte(s) written)"), written_(written) {}
    std::size_t written() const noexcept { return written_; }

private:
    std::size_t written_;
};
class write_timed_out : public timed_out {
public:
    write_timed_out(const std::string& operation, std::size_t written)
        : timed_out(operation + " (" + std::to_string(written) + " byte(s) written)"), written_(written) {}
    std::size_t written() const noexcept { return written_; }

private:
    std::size_t written_;
};

}  // namespace zring
