// Parallel pipeline: a ventilator PUSHes tasks, workers PULL them and PUSH
// results, a sink PULLs the results. All coroutines on one scheduler.
#include "common/cli.hpp"
#include "common/scheduler.hpp"

#include <zring/zring.hpp>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <vector>

namespace {

zmq::message_t number(std::int64_t v) { return zmq::message_t(&v, sizeof v); }
std::int64_t number(const zmq::message_t& m) {
    std::int64_t v;
    std::memcpy(&v, m.data(), sizeof v);
    return v;
}

zring::task<void> ventilator(zring::socket& push, std::int64_t tasks) {
    for (std::int64_t t = 1; t <= tasks; ++t) co_await push.send(number(t));
}

// Squares each task; stops when cancelled.
zring::task<void> worker(zring::socket& pull, zring::socket& push, std::int64_t& done) {
    for (;;) {
        const std::int64_t task = number(co_await pull.recv());
        co_await push.send(number(task * task));
        ++done;
    }
}

zring::task<std::int64_t> sink(zring::socket& pull, std::int64_t results) {
    std::int64_t total = 0;
    for (std::int64_t r = 0; r < results; ++r) total += number(co_await pull.recv());
    co_return total;
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "pipeline [options]",
                       {{"tasks", "tasks to distribute (default 1000)"}, {"workers", "worker coroutines (default 4)"}});
    const std::int64_t tasks = args.number("tasks", 1000);
    const int workers = static_cast<int>(args.number("workers", 4));
    if (workers == 0) args.fail("--workers must be at least 1");

    zmq::context_t context;
    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    zring::socket vent(scheduler, context, zmq::socket_type::push);
    zring::socket results(scheduler, context, zmq::socket_type::pull);
    vent.bind("inproc://tasks");
    results.bind("inproc://results");
    std::vector<zring::socket> ins, outs;  // sockets move: a vector holds them
    std::vector<std::int64_t> done(static_cast<std::size_t>(workers), 0);
    for (int w = 0; w < workers; ++w) {
        ins.emplace_back(scheduler, context, zmq::socket_type::pull).connect("inproc://tasks");
        outs.emplace_back(scheduler, context, zmq::socket_type::push).connect("inproc://results");
    }

    auto run = [&]() -> zring::task<std::int64_t> {
        std::int64_t total = 0;
        co_await zring::with_task_group([&](zring::task_group& group) -> zring::task<void> {
            for (int w = 0; w < workers; ++w)
                group.spawn(worker(ins[static_cast<std::size_t>(w)], outs[static_cast<std::size_t>(w)],
                                   done[static_cast<std::size_t>(w)]));
            group.spawn(ventilator(vent, tasks));
            total = co_await sink(results, tasks);
            group.request_stop();  // all results are in: stop the workers
        });
        co_return total;
    };
    const std::int64_t total = scheduler.run(run());
    for (int w = 0; w < workers; ++w)
        std::cout << "Worker " << w << " did " << done[static_cast<std::size_t>(w)] << " tasks\n";
    std::cout << "Sink received " << tasks << " results, sum of squares " << total << std::endl;
    // sum of squares 1..n = n(n+1)(2n+1)/6
    return total == tasks * (tasks + 1) * (2 * tasks + 1) / 6 ? 0 : 1;
}
