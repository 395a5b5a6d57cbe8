#pragma once
// A stop source that is also stopped by the tokens linked to it: a task
// with a bound token under a parent, a task group or a race under its
// parent. Neither movable nor copyable (its links point at it).

#include <optional>
#include <stop_token>

namespace zring::detail {

class linked_stop_source {
public:
    linked_stop_source() = default;
    linked_stop_source(const linked_stop_source&) = delete;
    linked_stop_source& operator=(const linked_stop_source&) = delete;

    // Stop is requested when any of the (at most two) linked tokens is
    // stopped, at once if one is already. A token that cannot stop costs nothing.
    void link(const std::stop_token& token) {
        if (!token.stop_possible()) return;
        (first_ ? second_ : first_).emplace(token, forward{&source_});
    }
    // Drops the links (they may outlive what they forward to otherwise).
    void unlink() noexcept {
        first_.reset();
        second_.reset();
    }

    std::stop_token get_token() const noexcept { return source_.get_token(); }
    bool stop_requested() const noexcept { return source_.stop_requested(); }
    void request_stop() noexcept { source_.request_stop(); }

private:
    struct forward {
        std::stop_source* source;
        void operator()() const noexcept { source->request_stop(); }
    };
    std::stop_source source_;
    std::optional<std::stop_callback<forward>> first_;
    std::optional<std::stop_callback<forward>> second_;
};

}  // namespace zring::detail
