#pragma once
// result<T>: what a coroutine or a call produced, kept until someone takes
// it (a task's awaiter, sync_wait, scheduler::run, offload, when_all): a
// value, a reference (kept as one: the object it names outlives the
// result), for void the fact of completion; or the exception it threw.

#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

namespace zring::detail {

template <class T>
class result {
    struct completed {};
    using stored = std::conditional_t<std::is_void_v<T>, completed,
                                      std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, T>>;

public:
    // For void: set_value(). For T&: set_value(object), which is kept by reference.
    template <class... Args>
    void set_value(Args&&... args) {
        if constexpr (std::is_reference_v<T>) {
            static_assert(sizeof...(Args) == 1, "a reference result is one object");
            T object = (std::forward<Args>(args), ...);  // what converts to T& (std::ref) does so here
            state_.template emplace<1>(std::addressof(object));
        } else
            state_.template emplace<1>(std::forward<Args>(args)...);
    }
    void set_exception(std::exception_ptr e) noexcept { state_.template emplace<2>(std::move(e)); }
    // Calls fn and keeps what it returns or throws.
    template <class F>
    void capture(F& fn) noexcept {
        try {
            if constexpr (std::is_void_v<T>) {
                std::invoke(fn);
                set_value();
            } else {
                set_value(std::invoke(fn));
            }
        } catch (...) {
            set_exception(std::current_exception());
        }
    }

    bool ready() const noexcept { return state_.index() != 0; }
    bool failed() const noexcept { return state_.index() == 2; }
    void rethrow_if_failed() const {
        if (failed()) std::rethrow_exception(*std::get_if<2>(&state_));
    }
    // Rethrows the exception, or moves the value out (a result is taken once).
    // Precondition: ready().
    T get() {
        rethrow_if_failed();
        if constexpr (std::is_reference_v<T>)
            return **std::get_if<1>(&state_);
        else if constexpr (!std::is_void_v<T>)
            return std::move(*std::get_if<1>(&state_));
    }

private:
    std::variant<std::monostate, stored, std::exception_ptr> state_;
};

}  // namespace zring::detail
