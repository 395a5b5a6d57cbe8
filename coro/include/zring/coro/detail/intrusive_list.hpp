#pragma once
// The one intrusive doubly linked list of zring: the node lives in the object
// listed (a waiter in its coroutine frame, a socket, a task), so linking
// allocates nothing and unlinking is O(1).
//
// The list is a ring through a sentinel, so a node can leave it knowing
// nothing but itself: a node destroyed while listed unlinks itself (a frame
// torn down mid-wait), and a list destroyed while holding nodes unlinks them.
// Neither takes a lock: a list shared between threads is touched only under
// its owner's lock, and its nodes leave it there before they die.

namespace zring::detail {

struct list_hook {
    list_hook() noexcept = default;
    // A copy is another object: it is in no list.
    list_hook(const list_hook&) noexcept {}
    list_hook& operator=(const list_hook&) noexcept { return *this; }
    ~list_hook() { unlink(); }

    bool linked() const noexcept { return next_ != nullptr; }
    // Leaves whatever list holds it; nothing if none.
    void unlink() noexcept {
        if (!next_) return;
        prev_->next_ = next_;
        next_->prev_ = prev_;
        prev_ = next_ = nullptr;
    }

private:
    template <class>
    friend class intrusive_list;
    list_hook* prev_ = nullptr;
    list_hook* next_ = nullptr;
};

// Node derives from list_hook (once: a node sits in one list at a time).
template <class Node>
class intrusive_list {
public:
    intrusive_list() noexcept { root_.prev_ = root_.next_ = &root_; }
    intrusive_list(const intrusive_list&) = delete;
    intrusive_list& operator=(const intrusive_list&) = delete;
    intrusive_list(intrusive_list&& o) noexcept : intrusive_list() { splice_from(o); }
    intrusive_list& operator=(intrusive_list&&) = delete;
    ~intrusive_list() {
        while (pop_front()) {
        }
    }

    bool empty() const noexcept { return root_.next_ == &root_; }
    Node* front() const noexcept { return empty() ? nullptr : static_cast<Node*>(root_.next_); }
    // The node after n, which is in this list; nullptr after the last.
    Node* next(const Node* n) const noexcept {
        const list_hook* after = static_cast<const list_hook*>(n)->next_;
        return after == &root_ ? nullptr : static_cast<Node*>(const_cast<list_hook*>(after));
    }

    void push_back(Node* n) noexcept {
        list_hook* h = n;
        h->prev_ = root_.prev_;
        h->next_ = &root_;
        root_.prev_->next_ = h;
        root_.prev_ = h;
    }
    Node* pop_front() noexcept {
        Node* n = front();
        if (n) erase(n);
        return n;
    }
    // Unlinks n if it is linked (in this list: a node is in one at a time).
    void erase(Node* n) noexcept { static_cast<list_hook*>(n)->unlink(); }
    // Empties the list at once and returns what it held, for a walk that may
    // re-enter the list's owner (resumed waiters may wait again).
    intrusive_list take_all() noexcept {
        intrusive_list taken;
        taken.splice_from(*this);
        return taken;
    }

private:
    // Takes o's nodes; this list must be empty.
    void splice_from(intrusive_list& o) noexcept {
        if (o.empty()) return;
        root_.next_ = o.root_.next_;
        root_.prev_ = o.root_.prev_;
        root_.next_->prev_ = &root_;
        root_.prev_->next_ = &root_;
        o.root_.prev_ = o.root_.next_ = &o.root_;
    }

    list_hook root_;
};

}  // namespace zring::detail
