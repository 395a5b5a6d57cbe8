#pragma once
// What every suspending operation does with stop tokens, written once.
//
// An operation observes two tokens: its own (explicit) and the ambient one of
// the coroutine awaiting it. It checks both before suspending and, once
// suspended, registers a stop callback on each that can stop; either stops it.

#include <zring/coro/cancellation.hpp>

#include <coroutine>
#include <optional>
#include <stop_token>
#include <utility>

namespace zring::detail {

struct operation_tokens {
    std::stop_token own;
    std::stop_token ambient;

    template <class Promise>
    static operation_tokens of(const std::stop_token& own, std::coroutine_handle<Promise> awaiting) noexcept {
        return {own, ambient_stop_token(awaiting)};
    }
    bool stop_requested() const noexcept { return own.stop_requested() || ambient.stop_requested(); }
};

// Callback: a noexcept callable, run once per token that is stopped (so up to
// twice): what it does must be idempotent.
template <class Callback>
class stop_watch {
public:
    stop_watch() = default;
    // Operations are moved only before they suspend, when nothing is armed.
    stop_watch(stop_watch&&) noexcept {}

    // Call once the operation can be stopped (linked, submitted). A token
    // stopped meanwhile runs the callback here, at once.
    void arm(operation_tokens tokens, Callback callback) {
        const bool same = tokens.ambient == tokens.own;
        if (tokens.own.stop_possible()) own_.emplace(std::move(tokens.own), callback);
        if (!same && tokens.ambient.stop_possible()) ambient_.emplace(std::move(tokens.ambient), callback);
    }
    // Call before the operation is resumed or destroyed; waits for a callback
    // running on another thread to return.
    void disarm() noexcept {
        own_.reset();
        ambient_.reset();
    }

private:
    std::optional<std::stop_callback<Callback>> own_;
    std::optional<std::stop_callback<Callback>> ambient_;
};

}  // namespace zring::detail
