#pragma once
// All of a scheduler's timers in one binary min-heap: the loop waits for the
// earliest deadline only, so thousands of timers cost no SQE at all.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace zring::detail {

using clock = std::chrono::steady_clock;

struct timer_node {
    static constexpr std::size_t unlinked = std::numeric_limits<std::size_t>::max();

    clock::time_point deadline{};
    std::uint64_t sequence = 0;  // equal deadlines fire in the order they were armed
    std::size_t heap_index = unlinked;
    void (*fire)(timer_node*) noexcept = nullptr;

    bool armed() const noexcept { return heap_index != unlinked; }
};

class timer_heap {
public:
    bool empty() const noexcept { return nodes_.empty(); }
    std::size_t size() const noexcept { return nodes_.size(); }
    timer_node* top() const noexcept { return nodes_.front(); }

    // Strong guarantee: if the vector cannot grow, n is left unarmed.
    void push(timer_node* n) {
        nodes_.push_back(n);
        n->sequence = next_sequence_++;
        n->heap_index = nodes_.size() - 1;
        sift_up(n->heap_index);
    }

    void erase(timer_node* n) noexcept {
        const std::size_t i = n->heap_index;
        n->heap_index = timer_node::unlinked;
        timer_node* last = nodes_.back();
        nodes_.pop_back();
        if (last == n) return;
        nodes_[i] = last;
        last->heap_index = i;
        sift_down(i);
        sift_up(last->heap_index);
    }

    timer_node* pop() noexcept {
        timer_node* n = nodes_.front();
        erase(n);
        return n;
    }

private:
    static bool before(const timer_node* a, const timer_node* b) noexcept {
        return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
    }
    void place(std::size_t i, timer_node* n) noexcept {
        nodes_[i] = n;
        n->heap_index = i;
    }
    void sift_up(std::size_t i) noexcept {
        timer_node* n = nodes_[i];
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (!before(n, nodes_[parent])) break;
            place(i, nodes_[parent]);
            i = parent;
        }
        place(i, n);
    }
    void sift_down(std::size_t i) noexcept {
        timer_node* n = nodes_[i];
        const std::size_t count = nodes_.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && before(nodes_[child + 1], nodes_[child])) ++child;
            if (!before(nodes_[child], n)) break;
            place(i, nodes_[child]);
            i = child;
        }
        place(i, n);
    }

    std::vector<timer_node*> nodes_;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace zring::detail
