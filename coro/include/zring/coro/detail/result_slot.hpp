#pragma once
// Where a coroutine's result waits for whoever takes it (sync_wait,
// scheduler::run, offload, ...): a value, a reference (kept as one: the
// object it names outlives the slot), or for void the fact of completion.

#include <zring/coro/awaitable_traits.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace zring::detail {

template <class T>
using result_slot =
    std::optional<std::conditional_t<std::is_reference_v<T>, std::reference_wrapper<std::remove_reference_t<T>>,
                                     non_void_t<T>>>;

// Moves the result out of a filled slot (for void: nothing).
template <class T>
T take_result(result_slot<T>& slot) {
    if constexpr (std::is_reference_v<T>)
        return slot->get();
    else if constexpr (!std::is_void_v<T>)
        return std::move(*slot);
}

}  // namespace zring::detail
