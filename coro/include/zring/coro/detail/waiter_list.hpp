#pragma once
// An intrusive FIFO of suspended coroutines: the node lives in the awaiter
// (in the coroutine frame), so suspending allocates nothing.

#include <zring/coro/cancellation.hpp>

#include <coroutine>
#include <optional>
#include <stop_token>

namespace zring::detail {

struct waiter_node {
    waiter_node* prev = nullptr;
    waiter_node* next = nullptr;
    bool linked = false;
};

template <class Node>
class waiter_list {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    Node* front() const noexcept { return static_cast<Node*>(head_); }

    void push_back(Node* n) noexcept {
        waiter_node* w = n;
        w->prev = tail_;
        w->next = nullptr;
        w->linked = true;
        if (tail_)
            tail_->next = w;
        else
            head_ = w;
        tail_ = w;
    }
    Node* pop_front() noexcept {
        waiter_node* w = head_;
        if (w) erase(static_cast<Node*>(w));
        return static_cast<Node*>(w);
    }
    // Empties the list; returns its nodes, unlinked, chained through next.
    static waiter_node* take_all(waiter_list& list) noexcept {
        for (waiter_node* w = list.head_; w; w = w->next) w->linked = false;
        waiter_node* head = list.head_;
        list.head_ = list.tail_ = nullptr;
        return head;
    }
    void erase(Node* n) noexcept {
        waiter_node* w = n;
        if (!w->linked) return;
        (w->prev ? w->prev->next : head_) = w->next;
        (w->next ? w->next->prev : tail_) = w->prev;
        w->prev = w->next = nullptr;
        w->linked = false;
    }

private:
    waiter_node* head_ = nullptr;
    waiter_node* tail_ = nullptr;
};

// Cancellation of a wait on a coroutine primitive: the stop callback calls
// Awaiter::cancel(), which unlinks the waiter and resumes it. It runs on the
// thread that requested stop, so primitives are for coroutines of one thread.
template <class Awaiter>
class wait_cancellation {
public:
    wait_cancellation() = default;
    // Awaiters are moved only before they suspend, when nothing is armed.
    wait_cancellation(wait_cancellation&&) noexcept {}

    // Call after the waiter is linked, once token.stop_requested() was false.
    void arm(Awaiter* self, std::stop_token token) {
        if (token.stop_possible()) callback_.emplace(std::move(token), on_stop{self});
    }
    void disarm() noexcept { callback_.reset(); }

private:
    struct on_stop {
        Awaiter* self;
        void operator()() const noexcept { self->cancel(); }
    };
    std::optional<std::stop_callback<on_stop>> callback_;
};

}  // namespace zring::detail
