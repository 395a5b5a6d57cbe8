#pragma once
// What the engine benchmark's parts (engine.cpp: lat and thr;
// engine_fanin.cpp: fanin) share: which variants run, and on which backend.

#include "bench.hpp"

#include <zring/io/scheduler.hpp>

#include <string>
#include <vector>

namespace bench {

// The scheduler of a native variant: native-epoll runs on epoll.
zring::scheduler_options native_options(const std::string& variant);
// Those of `all` that opt selects and that can run here (the io_uring
// variants only where io_uring starts).
std::vector<std::string> chosen_engine_variants(const options& opt, const std::vector<std::string>& all);

// fanin: connections to one PULL, from a sender process of native PUSH
// connections; raw (a libzmq PULL), native and native-epoll receive.
void engine_fanin(const options& opt, report& out);
// zring-bench _fanin_sender ENDPOINT CONNECTIONS COUNT: that process.
int fanin_sender(const std::string& endpoint, int connections, std::int64_t count);

}  // namespace bench
