#include <zring/io/timer.hpp>

#include <stdexcept>

namespace zring {

periodic_callback::periodic_callback(scheduler& s, detail::clock::duration period, std::function<void()> fn)
    : scheduler_(s), period_(period), fn_(std::move(fn)) {
    if (period_ <= detail::clock::duration::zero())
        throw std::invalid_argument("zring::periodic_callback: period must be positive");
    if (!fn_) throw std::invalid_argument("zring::periodic_callback: empty function");
}

void periodic_callback::start() {
    if (running_) return;
    running_ = true;
    next_ = detail::clock::now();
    schedule_next();
}

void periodic_callback::stop() noexcept {
    running_ = false;
    timer_.cancel();
}

void periodic_callback::schedule_next() {
    const auto now = detail::clock::now();
    next_ += period_;
    if (next_ <= now) next_ += ((now - next_) / period_ + 1) * period_;  // skip missed periods
    timer_ = scheduler_.call_at(next_, [this] {
        if (!running_) return;
        try {
            fn_();
        } catch (...) {
            if (running_) schedule_next();
            throw;  // to the scheduler's exception handler
        }
        if (running_) schedule_next();
    });
}

}  // namespace zring
