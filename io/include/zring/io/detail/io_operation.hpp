#pragma once
// The pieces the scheduler links without knowing their owners.

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

// Work another thread hands to the scheduler's thread without allocating;
// the owner can withdraw it while it is still queued.
struct remote_node {
    remote_node* prev = nullptr;
    remote_node* next = nullptr;
    bool queued = false;
    void (*run)(remote_node*) noexcept = nullptr;
};

// Something the scheduler must close before it is destroyed (e.g. a socket
// that outlives it). Linked into the scheduler's list while open.
class scheduler_resource {
public:
    virtual void on_scheduler_shutdown() noexcept = 0;

protected:
    scheduler_resource() = default;
    ~scheduler_resource() = default;

private:
    friend class ::zring::scheduler;
    scheduler_resource* prev_ = nullptr;
    scheduler_resource* next_ = nullptr;
};

}  // namespace zring::detail
