// zring-bench: measures zring against a raw blocking libzmq loop (and, where
// Boost.Asio is installed, against Asio coroutines on ZMQ_FD) in one run.
#include "bench.hpp"
#include "engine.hpp"
#include "receivers.hpp"
#include "watchdog.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace {

using bench::options;

const char* const usage_text =
    "usage: zring-bench BENCHMARK... [options]\n"
    "benchmarks:\n"
    "  thr     PUSH->PULL throughput: sizes 16 256 4096 65536, inproc ipc tcp\n"
    "  lat     REQ/REP and DEALER/ROUTER round-trip latency over tcp, 16 B unless --size\n"
    "  pubsub  1 publisher -> N subscribers, N publishers -> 1 subscriber\n"
    "  fanin   1 to 10,000 sockets on one scheduler, a coroutine each; memory per socket\n"
    "  loop    call_soon, suspend+resume, timers, call_soon_threadsafe\n"
    "  mt      several cores: receivers scaling over N threads, resume_on hops, offload\n"
    "  tcp     plain TCP against blocking sockets and Asio: 16 B ping-pong; echo of 64 B\n"
    "          messages over 1, 100, 1,000 connections (msgs/s, server CPU); accept storm\n"
    "  engine  the native ZMTP engine (zring::zmtp::socket) against libzmq: REQ/REP and\n"
    "          DEALER/ROUTER round trips (native, native-libzmq, raw libzmq, the plain-socket\n"
    "          floor), PUSH/PULL throughput with CPU per message, tcp and ipc, and fan-in\n"
    "          of 1,000 and 10,000 tcp connections into one PULL (msgs/s, CPU, memory)\n"
    "  http    HTTP hello world under wrk (needs wrk) against Boost.Beast and Tornado\n"
    "          (python3-tornado): 1, 64, 256 connections, keep-alive and not (requests/s, p99)\n"
    "  ws      WebSocket echo of 64 B messages, 1 and 100 clients, against Beast and Tornado\n"
    "  sse     Server-Sent Events fan-out of a 1,000/s ZeroMQ stream to 1,000 clients, against\n"
    "          Tornado with pyzmq (python3-zmq): events/s delivered, memory per subscriber\n"
    "  all     every benchmark above\n"
    "options:\n"
    "  --repeat N      repetitions of each measurement; medians are reported (default 5)\n"
    "  --quick         small counts and one repetition: seconds in all, numbers only indicative\n"
    "  --procs         thr: the sender runs in another process (ipc and tcp only)\n"
    "  --size N        thr, lat: a message size to run (repeatable)\n"
    "  --transport T   thr: inproc, ipc or tcp (repeatable)\n"
    "  --variant V     run only these variants (repeatable): raw zring zring-epoll asio-drain\n"
    "                  asio-events; for tcp, blocking zring zring-epoll asio; for http and ws,\n"
    "                  beast zring zring-epoll tornado; for sse, zring zring-epoll tornado\n"
    "  --engine E      libzmq (default) or native: thr, lat and fanin measure the native ZMTP\n"
    "                  engine (zring::zmtp::socket) instead, as the engine benchmark's parts of\n"
    "                  those names do, against raw libzmq (and lat the plain-socket floor) in the\n"
    "                  same run; inproc is libzmq's alone\n"
    "  --backend B     zring on this scheduler backend only: io_uring or epoll (repeatable;\n"
    "                  default both, io_uring only where the kernel allows it)\n"
    "  --role R        across hosts, each side a separate zring-bench (as libzmq's local_thr/remote_thr):\n"
    "                    thr --role recv --bind EP     receives and reports, with every --variant\n"
    "                    thr --role send --connect EP  sends what the receiver asks, with one --variant\n"
    "                    lat --role echo --bind EP     returns every message, with one --variant\n"
    "                    lat --role client --connect EP  measures DEALER round trips and reports\n"
    "                    tcp --role echo --bind tcp://HOST:PORT  serves tcp's echo, with one --variant\n"
    "                    tcp --role client --connect EP  runs every tcp measurement against it\n"
    "                  send and echo use raw unless --variant says otherwise (raw zring zring-epoll);\n"
    "                  tcp's echo uses zring unless --variant says (blocking zring zring-epoll asio).\n"
    "                  Across hosts, each tcp repetition leaves the client some 3,200 sockets in\n"
    "                  TIME_WAIT for a minute: keep --repeat at 8 or below\n"
    "  --bind EP       recv, echo: tcp://HOST:PORT (PORT may be *: the port is printed) or ipc://PATH\n"
    "  --connect EP    send, client: the other side's endpoint\n"
    "  --json FILE     write every run, the medians and the targets as JSON\n"
    "  --tsv FILE      write each variant's speed relative to its baseline (for plots)\n";

[[noreturn]] void usage(const std::string& error) {
    if (error.empty()) {
        std::cout << usage_text;
        std::exit(0);
    }
    std::cerr << "zring-bench: " << error << "\n" << usage_text;
    std::exit(2);
}

long positive(const std::string& flag, const char* text) {
    char* end = nullptr;
    const long v = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 1) usage(flag + " needs a positive whole number, not '" + text + "'");
    return v;
}

std::map<std::string, std::string> machine_info() {
    std::map<std::string, std::string> m;
    utsname u{};
    uname(&u);
    m["kernel"] = std::string(u.sysname) + " " + u.release;
    m["cores"] = std::to_string(std::thread::hardware_concurrency());
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    m["libzmq"] = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            m["cpu"] = line.substr(line.find(':') + 2);
            break;
        }
    }
    try {
        zring::scheduler probe({.backend = zring::backend::io_uring});
        const auto& f = probe.features();
        m["ring"] = std::string(f.defer_taskrun  ? "SINGLE_ISSUER|DEFER_TASKRUN"
                                : f.coop_taskrun ? "COOP_TASKRUN"
                                                 : "plain") +
                    (f.ext_arg ? " EXT_ARG" : "");
    } catch (const std::exception& e) {
        m["ring"] = std::string("none: ") + e.what();
    }
    m["asio_baselines"] =
        ZRING_BENCH_HAVE_ASIO ? "yes" : "no (needs libboost-dev, and Asio coroutines for this compiler)";
    return m;
}

bool is_endpoint(const std::string& e) { return e.rfind("tcp://", 0) == 0 || e.rfind("ipc://", 0) == 0; }

// Refuses a --role that does not fit the benchmark, the endpoint or the variant.
void check_role(const options& opt, std::vector<std::string> chosen, bool reporting_options_given) {
    const bool thr = opt.role == "recv" || opt.role == "send";
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    const bool tcp = chosen.size() == 1 && chosen.front() == "tcp" && !thr;
    if (chosen.size() != 1 || (chosen.front() != (thr ? "thr" : "lat") && !tcp))
        usage(std::string("--role ") + opt.role + " goes with the " + (thr ? "thr" : "lat or tcp") +
              " benchmark alone");
    const bool listens = opt.role == "recv" || opt.role == "echo";
    const std::string& endpoint = listens ? opt.bind : opt.connect;
    if (endpoint.empty() || !(listens ? opt.connect : opt.bind).empty())
        usage("--role " + opt.role + " needs " + (listens ? "--bind" : "--connect") + " ENDPOINT, and not " +
              (listens ? "--connect" : "--bind"));
    if (!is_endpoint(endpoint)) usage("across hosts, use a tcp:// or ipc:// endpoint, not '" + endpoint + "'");
    if (tcp && endpoint.rfind("tcp://", 0) != 0) usage("tcp --role takes a tcp:// endpoint, not '" + endpoint + "'");
    if (opt.procs) usage("--procs and --role do not go together: --role already puts the peer elsewhere");
    if (opt.role == "send" || opt.role == "echo") {
        if (reporting_options_given)
            usage("--role " + opt.role + " serves the measuring side, which takes --json, --tsv, --repeat, --quick "
                  "and --size");
        if (opt.variants.size() > 1) usage("--role " + opt.role + " takes one --variant");
        const std::string variant = opt.variants.empty() ? (tcp ? "zring" : "raw") : opt.variants.front();
        const auto known = tcp ? bench::tcp_variants() : bench::zmq_variants();
        if (std::find(known.begin(), known.end(), variant) == known.end() || (!tcp && variant.rfind("asio", 0) == 0))
            usage("--role " + opt.role + " runs " + (tcp ? "blocking, zring, zring-epoll or asio" : "raw, zring or zring-epoll"));
        options single = opt;
        single.variants = {variant};
        if (bench::selected_variants(single, known).empty())
            usage("variant '" + variant + "' cannot run here (is its backend refused, or excluded by --backend?)");
    }
}

template <class Write>
void write_file(const std::string& path, Write write) {
    std::ofstream file(path);
    write(file);
    file.close();
    if (!file) {
        std::cerr << "zring-bench: cannot write " << path << "\n";
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // The web benchmarks' servers and clients, each a process of its own.
    const std::string hidden = argc > 1 ? argv[1] : "";
    if (argc == 3 && hidden == "_http_server") return bench::serve_http(argv[2]);
    if (argc == 3 && hidden == "_ws_server") return bench::serve_ws(argv[2]);
    if (argc == 5 && hidden == "_ws_client") return bench::ws_client(std::stoi(argv[2]), std::stoi(argv[3]), std::stod(argv[4]));
    if (argc == 4 && hidden == "_sse_server") return bench::serve_sse(argv[2], argv[3]);
    if (argc == 6 && hidden == "_sse_client")
        return bench::sse_client(std::stoi(argv[2]), std::stoi(argv[3]), std::stoi(argv[4]), std::stod(argv[5]));
    if (argc == 5 && hidden == "_fanin_sender")  // engine's fanin runs this in a child
        return bench::fanin_sender(argv[2], std::stoi(argv[3]), std::stoll(argv[4]));
    if (argc == 5 && std::string(argv[1]) == "_sender") {  // thr --procs runs this in a child
        zmq::context_t context;
        // The parent closes our stdin once it received everything.
        bench::send_messages(context, argv[2], std::stoll(argv[3]), static_cast<std::size_t>(std::stoull(argv[4])), [] {
            char c;
            while (::read(0, &c, 1) > 0) {
            }
        });
        return 0;
    }
    options opt;
    bool repeat_given = false;
    std::string json, tsv, engine = "libzmq";
    const std::vector<std::pair<std::string, void (*)(const options&, bench::report&)>> benchmarks{
        {"thr", bench::thr},
        {"lat", bench::lat},
        {"pubsub", bench::pubsub},
        {"fanin", bench::fanin},
        {"loop", bench::loop},
        {"mt", bench::mt},
        {"tcp", bench::tcp},
        {"engine", bench::engine},
        {"http", bench::http},
        {"ws", bench::ws},
        {"sse", bench::sse}};
    std::vector<std::string> chosen;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h")
            usage("");
        else if (a == "--quick")
            opt.quick = true;
        else if (a == "--procs")
            opt.procs = true;
        else if (a == "--repeat")
            opt.repeat = static_cast<int>(positive(a, value())), repeat_given = true;
        else if (a == "--size")
            opt.sizes.push_back(static_cast<std::size_t>(positive(a, value())));
        else if (a == "--transport") {
            const std::string t = value();
            if (t != "inproc" && t != "ipc" && t != "tcp") usage("unknown transport '" + t + "'");
            opt.transports.push_back(t);
        } else if (a == "--variant") {
            const std::string v = value();
            const auto zmq = bench::zmq_variants();
            const auto tcp = bench::tcp_variants();
            const auto http = bench::http_variants();
            const auto ws = bench::ws_variants();
            const auto engine = bench::engine_variants();
            const auto known = [&](const std::vector<std::string>& in) { return std::find(in.begin(), in.end(), v) != in.end(); };
            if (!known(zmq) && !known(tcp) && !known(http) && !known(ws) && !known(engine))
                usage("unknown or unavailable variant '" + v + "'");
            opt.variants.push_back(v);
        } else if (a == "--backend") {
            const std::string b = value();
            if (b != "io_uring" && b != "epoll") usage("unknown backend '" + b + "' (io_uring or epoll)");
            opt.backends.push_back(b);
        } else if (a == "--role") {
            opt.role = value();
            if (opt.role != "recv" && opt.role != "send" && opt.role != "echo" && opt.role != "client")
                usage("unknown role '" + opt.role + "' (thr: recv or send; lat, tcp: echo or client)");
        } else if (a == "--bind")
            opt.bind = value();
        else if (a == "--connect")
            opt.connect = value();
        else if (a == "--engine") {
            engine = value();
            if (engine != "libzmq" && engine != "native") usage("--engine is libzmq or native, not '" + engine + "'");
        } else if (a == "--json")
            json = value();
        else if (a == "--tsv")
            tsv = value();
        else if (a == "all")
            for (const auto& [name, run] : benchmarks) chosen.push_back(name);
        else if (std::any_of(benchmarks.begin(), benchmarks.end(), [&](const auto& b) { return b.first == a; }))
            chosen.push_back(a);
        else
            usage("unknown argument '" + a + "'");
    }
    if (chosen.empty()) usage("name a benchmark");
    // --engine native: the benchmarks that measure it run their native-engine parts.
    using run_fn = void (*)(const options&, bench::report&);
    const std::map<std::string, run_fn> native_parts{
        {"thr", bench::engine_thr}, {"lat", bench::engine_lat}, {"fanin", bench::engine_fanin}, {"engine", bench::engine}};
    if (engine == "native") {
        for (const auto& name : chosen)
            if (!native_parts.contains(name))
                usage("--engine native goes with thr, lat, fanin and engine; " + name + " measures zring over libzmq");
        if (!opt.role.empty()) usage("--role measures zring over libzmq: --engine native runs on one host");
        if (opt.procs) usage("--procs measures zring over libzmq: --engine native runs both sides in one process");
        if (!opt.backends.empty()) usage("with --engine native, choose the backend by --variant native or native-epoll");
        for (const auto& t : opt.transports)
            if (t == "inproc") usage("--engine native runs tcp and ipc: the native engine has no inproc");
        const auto native_variants = bench::engine_variants();
        for (const auto& v : opt.variants)
            if (std::find(native_variants.begin(), native_variants.end(), v) == native_variants.end())
                usage("--engine native runs the variants raw native native-epoll native-libzmq floor, not '" + v + "'");
        // engine runs the other three: each part once.
        if (std::find(chosen.begin(), chosen.end(), "engine") != chosen.end()) chosen = {"engine"};
    }
    if (opt.quick && !repeat_given) opt.repeat = 1;
    const bool serving = opt.role == "send" || opt.role == "echo";  // no report of its own
    if (!opt.role.empty())
        check_role(opt, chosen,
                   repeat_given || opt.quick || !opt.sizes.empty() || !json.empty() || !tsv.empty());
    else if (!opt.bind.empty() || !opt.connect.empty())
        usage("--bind and --connect go with --role");

    // A role starts its watchdog once its peer answered: a person may start
    // the two sides minutes apart.
    if (opt.role.empty()) bench::watchdog::start(std::chrono::seconds(120));
    bench::report report;
    try {
        int index = 0;
        const int count = static_cast<int>(std::count_if(benchmarks.begin(), benchmarks.end(), [&](const auto& b) {
            return std::find(chosen.begin(), chosen.end(), b.first) != chosen.end();
        }));
        for (const auto& [name, run] : benchmarks) {
            if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) continue;
            bench::begin_benchmark(name, ++index, count);
            (engine == "native" ? native_parts.at(name) : run)(opt, report);
        }
    } catch (const std::exception& e) {
        std::cerr << "zring-bench: " << e.what() << std::endl;
        return 1;
    }
    if (serving) return 0;
    bench::check_targets(report);
    const auto machine = machine_info();
    std::cout << "zring-bench: medians of " << opt.repeat << " repetition(s), [min..max] where more than one";
    for (const auto& [k, v] : machine) std::cout << "\n  " << k << ": " << v;
    std::cout << "\n";
    report.print(std::cout);
    if (!json.empty()) write_file(json, [&](std::ostream& o) { report.write_json(o, machine, opt.repeat); });
    if (!tsv.empty()) write_file(tsv, [&](std::ostream& o) { report.write_tsv(o); });
}
