// Parallel pipeline: a ventilator PUSHes tasks, workers PULL them and PUSH
// results, a sink PULLs the results. All coroutines on one scheduler; with
// --engine native, on zring's own ZMTP engine over abstract ipc:// endpoints.
#include "common/cli.hpp"
#include "common/engine.hpp"
#include "common/scheduler.hpp"

#include <zring/zring.hpp>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

zmq::message_t number(std::int64_t v) { return zmq::message_t(&v, sizeof v); }
std::int64_t number(const zmq::message_t& m) {
    std::int64_t v;
    std::memcpy(&v, m.data(), sizeof v);
    return v;
}

template <class Socket>
zring::task<void> ventilator(Socket& push, std::int64_t tasks) {
    for (std::int64_t t = 1; t <= tasks; ++t) co_await push.send(number(t));
}

// Squares each task; stops when cancelled.
template <class Socket>
zring::task<void> worker(Socket& pull, Socket& push, std::int64_t& done) {
    for (;;) {
        const std::int64_t task = number(co_await pull.recv());
        co_await push.send(number(task * task));
        ++done;
    }
}

template <class Socket>
zring::task<std::int64_t> sink(Socket& pull, std::int64_t results) {
    std::int64_t total = 0;
    for (std::int64_t r = 0; r < results; ++r) total += number(co_await pull.recv());
    co_return total;
}

}  // namespace

int main(int argc, char** argv) {
    examples::cli args(argc, argv, "pipeline [options]",
                       {{"tasks", "tasks to distribute (default 1000)"},
                        {"workers", "worker coroutines (default 4)"},
                        {"engine", examples::engine_help}});
    const std::int64_t tasks = args.number("tasks", 1000);
    const int workers = static_cast<int>(args.number("workers", 4));
    if (workers == 0) args.fail("--workers must be at least 1");

    const auto started = examples::start_scheduler(args);
    zring::scheduler& scheduler = *started;
    return examples::with_engine(args, [&](auto& engine) {
        using engine_type = std::remove_reference_t<decltype(engine)>;
        using socket = typename engine_type::socket;
        const std::string tasks_endpoint = engine_type::local_endpoint("pipeline-tasks");
        const std::string results_endpoint = engine_type::local_endpoint("pipeline-results");
        socket vent = engine.make(scheduler, zmq::socket_type::push);
        socket results = engine.make(scheduler, zmq::socket_type::pull);
        vent.bind(tasks_endpoint);
        results.bind(results_endpoint);
        std::vector<socket> ins, outs;  // sockets move: a vector holds them
        std::vector<std::int64_t> done(static_cast<std::size_t>(workers), 0);
        for (int w = 0; w < workers; ++w) {
            ins.push_back(engine.make(scheduler, zmq::socket_type::pull));
            ins.back().connect(tasks_endpoint);
            outs.push_back(engine.make(scheduler, zmq::socket_type::push));
            outs.back().connect(results_endpoint);
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
    });
}
