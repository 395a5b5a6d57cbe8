#pragma once
// The pieces the scheduler links without knowing their owners.

#include <zring/coro/detail/intrusive_list.hpp>

namespace zring {
class scheduler;
}

namespace zring::detail {

// An operation the ring reports on: an SQE's user_data points at one, and its
// completion handler runs for each CQE.
struct io_operation {
    using handler = void (*)(io_operation*, int result, unsigned flags) noexcept;
    handler on_complete = nullptr;
};

// A cancellation the ring could not take at once (its submission queue full
// and the kernel refusing more): the scheduler retries it every loop turn.
// Owned by whoever may cancel target.
struct deferred_cancel : list_hook {
    io_operation* target = nullptr;
};

// Work another thread hands to the scheduler's thread without allocating;
// the owner can withdraw it while it is still queued (linked).
struct remote_node : list_hook {
    void (*run)(remote_node*) noexcept = nullptr;
};

// Something the scheduler must close before it is destroyed (e.g. a socket
// that outlives it). Linked into the scheduler's list while open.
class scheduler_resource : public list_hook {
public:
    virtual void on_scheduler_shutdown() noexcept = 0;

protected:
    scheduler_resource() = default;
    ~scheduler_resource() = default;
};

}  // namespace zring::detail
