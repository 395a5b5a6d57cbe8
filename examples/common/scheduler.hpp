#pragma once
// The scheduler (or pool) an example runs on. If no backend can start (io_uring
// refused and epoll too, or a ZRING_BACKEND that names none), the program
// says why in one line and exits 1 rather than aborting.

#include "cli.hpp"

#include <zring/io/scheduler.hpp>
#include <zring/io/scheduler_pool.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>

namespace examples {

// What --verbose adds when this zring cannot use io_uring at all.
inline const char* built_without() {
    return zring::has_backend(zring::backend::io_uring) ? "" : " (this zring was built without io_uring)";
}

inline std::unique_ptr<zring::scheduler> start_scheduler(const cli& args) {
    try {
        auto s = std::make_unique<zring::scheduler>();
        if (args.verbose())
            std::cerr << "zring: scheduler backend " << zring::to_string(s->backend()) << built_without() << std::endl;
        return s;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << std::endl;
        std::exit(1);
    }
}

// The same for a pool of `threads` schedulers.
inline std::unique_ptr<zring::scheduler_pool> start_pool(const cli& args, std::size_t threads) {
    try {
        auto pool = std::make_unique<zring::scheduler_pool>(threads);
        if (args.verbose())
            std::cerr << "zring: " << threads << " schedulers, backend " << zring::to_string(pool->at(0).backend())
                      << built_without() << std::endl;
        return pool;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << std::endl;
        std::exit(1);
    }
}

}  // namespace examples
