#pragma once
// The one intrusive doubly linked list of zring: the node lives in the object
// listed (a waiter in its coroutine frame, a socket, a task), so linking
// allocates nothing and unlinking is O(1).

namespace zring::detail {

struct list_hook {
    list_hook* prev = nullptr;
    list_hook* next = nullptr;
    bool linked = false;
};

// Node derives from list_hook (once: a node sits in one list of a kind).
template <class Node>
class intrusive_list {
public:
    intrusive_list() = default;
    intrusive_list(const intrusive_list&) = delete;
    intrusive_list& operator=(const intrusive_list&) = delete;

    bool empty() const noexcept { return head_ == nullptr; }
    Node* front() const noexcept { return static_cast<Node*>(head_); }

    void push_back(Node* n) noexcept {
        list_hook* h = n;
        h->prev = tail_;
        h->next = nullptr;
        h->linked = true;
        (tail_ ? tail_->next : head_) = h;
        tail_ = h;
    }
    Node* pop_front() noexcept {
        Node* n = front();
        if (n) erase(n);
        return n;
    }
    // Unlinks n if it is linked (in this list: a node is in one at a time).
    void erase(Node* n) noexcept {
        list_hook* h = n;
        if (!h->linked) return;
        (h->prev ? h->prev->next : head_) = h->next;
        (h->next ? h->next->prev : tail_) = h->prev;
        h->prev = h->next = nullptr;
        h->linked = false;
    }
    // Empties the list at once and returns what it held, for a walk that may
    // re-enter the list's owner (resumed waiters may wait again).
    intrusive_list take_all() noexcept {
        intrusive_list taken;
        taken.head_ = head_;
        taken.tail_ = tail_;
        head_ = tail_ = nullptr;
        return taken;
    }
    intrusive_list(intrusive_list&& o) noexcept : head_(o.head_), tail_(o.tail_) { o.head_ = o.tail_ = nullptr; }

private:
    list_hook* head_ = nullptr;
    list_hook* tail_ = nullptr;
};

}  // namespace zring::detail
