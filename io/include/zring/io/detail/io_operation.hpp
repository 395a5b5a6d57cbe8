#pragma once
// The pieces the scheduler links without knowing their owners.

#include <zring/coro/detail/intrusive_list.hpp>

#include <coroutine>

namespace zring {
class scheduler;
}

namespace zring::detail {

// A readiness watch on a file descriptor (scheduler's watch()). The backend
// calls on_complete with the ready events (POLLIN, ...) or -errno; `more`
// says further completions follow (a multishot watch). The operation must
// live until its final completion (more == false); after cancel() that
// completion is -ECANCELED unless the watch had completed already.
struct io_operation : list_hook {  // the hook is the backend's while pending
    using handler = void (*)(io_operation*, int result, bool more) noexcept;
    handler on_complete = nullptr;

    // What to watch, set by the operation before it is armed.
    int fd = -1;
    unsigned events = 0;
    bool multishot = false;
    // The backend's bookkeeping.
    bool cancel_requested = false;
    bool one_shot_polls = false;  // io_uring without multishot polls: re-armed at each completion
};

// Work another thread hands to the scheduler's thread without allocating;
// the owner can withdraw it while it is still queued (linked). run() is
// called on the scheduler's thread; with `refused` when the scheduler shut
// down before its loop took the node (the node must then finish at once).
struct remote_node : list_hook {
    void (*run)(remote_node*, bool refused) noexcept = nullptr;
};

// A spawned task's frame, which the scheduler destroys if it is still
// pending at shutdown. It lives in the frame's promise: adopting one
// allocates nothing, and a frame that ends leaves the list as it dies.
struct spawned_frame : list_hook {
    std::coroutine_handle<> handle;
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
