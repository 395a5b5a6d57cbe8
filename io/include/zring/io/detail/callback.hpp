#pragma once
// callback: a move-only `void()` with room for small callables inline, so the
// ready queue holds coroutine resumptions and small lambdas without
// allocating.

#include <coroutine>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace zring::detail {

class callback {
public:
    static constexpr std::size_t inline_size = 48;

    callback() noexcept = default;

    explicit callback(std::coroutine_handle<> h) noexcept : vtable_(&resume_vtable) {
        ::new (static_cast<void*>(storage_)) std::coroutine_handle<>(h);
    }

    // clang-format 14 misplaces the declaration after a requires-clause.
    // clang-format off
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, callback> && std::is_invocable_v<std::decay_t<F>&>)
    callback(F&& f) {  // NOLINT(google-explicit-constructor): callables convert, as std::function does
        // clang-format on
        using Fn = std::decay_t<F>;
        if constexpr (fits_inline<Fn>) {
            ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
            vtable_ = &inline_vtable<Fn>;
        } else {
            ::new (static_cast<void*>(storage_)) Fn*(new Fn(std::forward<F>(f)));
            vtable_ = &heap_vtable<Fn>;
        }
    }

    callback(callback&& other) noexcept : vtable_(std::exchange(other.vtable_, nullptr)) {
        if (vtable_) vtable_->relocate(storage_, other.storage_);
    }
    callback& operator=(callback&& other) noexcept {
        if (this != &other) {
            reset();
            vtable_ = std::exchange(other.vtable_, nullptr);
            if (vtable_) vtable_->relocate(storage_, other.storage_);
        }
        return *this;
    }
    callback(const callback&) = delete;
    callback& operator=(const callback&) = delete;
    ~callback() { reset(); }

    explicit operator bool() const noexcept { return vtable_ != nullptr; }

    // Invokes the callable once and releases it, even if it throws.
    void run() {
        const vtable* vt = std::exchange(vtable_, nullptr);
        struct release {
            const vtable* vt;
            void* storage;
            ~release() { vt->destroy(storage); }
        } guard{vt, storage_};
        vt->invoke(storage_);
    }

private:
    struct vtable {
        void (*invoke)(void*);
        void (*relocate)(void* dst, void* src) noexcept;
        void (*destroy)(void*) noexcept;
    };

    template <class Fn>
    static constexpr bool fits_inline =
        sizeof(Fn) <= inline_size &&
        alignof(Fn) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<Fn>;

    template <class Fn>
    static constexpr vtable inline_vtable{
        [](void* p) { (*static_cast<Fn*>(p))(); },
        [](void* dst, void* src) noexcept {
            ::new (dst) Fn(std::move(*static_cast<Fn*>(src)));
            static_cast<Fn*>(src)->~Fn();
        },
        [](void* p) noexcept { static_cast<Fn*>(p)->~Fn(); },
    };
    template <class Fn>
    static constexpr vtable heap_vtable{
        [](void* p) { (**static_cast<Fn**>(p))(); },
        [](void* dst, void* src) noexcept { ::new (dst) Fn*(*static_cast<Fn**>(src)); },
        [](void* p) noexcept { delete *static_cast<Fn**>(p); },
    };
    static constexpr vtable resume_vtable{
        [](void* p) { static_cast<std::coroutine_handle<>*>(p)->resume(); },
        [](void* dst, void* src) noexcept {
            ::new (dst) std::coroutine_handle<>(*static_cast<std::coroutine_handle<>*>(src));
        },
        [](void*) noexcept {},
    };

    void reset() noexcept {
        if (auto* vt = std::exchange(vtable_, nullptr)) vt->destroy(storage_);
    }

    alignas(std::max_align_t) unsigned char storage_[inline_size];
    const vtable* vtable_ = nullptr;
};

}  // namespace zring::detail
