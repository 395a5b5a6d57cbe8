#pragma once
// The benchmarks of zring-bench. Each adds its rows (zring beside the
// baselines it ran with the same parameters) to the report.

#include "report.hpp"

#include <zring/io/backend.hpp>

#include <zmq.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

struct options {
    int repeat = 5;
    bool quick = false;                   // a few seconds in all: proves the harness runs
    bool procs = false;                   // thr: the sender in another process
    std::vector<std::size_t> sizes;       // thr: message sizes (default 16 256 4096 65536); lat: 16
    std::vector<std::string> transports;  // thr: inproc ipc tcp
    std::vector<std::string> variants;    // restrict to these variants (default: all available)
    std::vector<std::string> backends;    // zring variants on these backends only (default: every one that starts)
    // Across hosts: thr --role recv|send, lat --role client|echo. The
    // measuring side (recv, client) reports; the other side serves it.
    std::string role;
    std::string bind;     // recv, echo: where to listen (tcp:// or ipc://)
    std::string connect;  // send, client: the other side's --bind
};

void thr(const options& opt, report& out);
void lat(const options& opt, report& out);
void pubsub(const options& opt, report& out);
void fanin(const options& opt, report& out);
void loop(const options& opt, report& out);
void mt(const options& opt, report& out);
void tcp(const options& opt, report& out);
// The native ZMTP engine against libzmq: lat and thr over tcp and ipc, and
// the plain-socket floor; fan-in (engine.hpp). engine runs the three parts;
// thr, lat and fanin with --engine native run one each.
void engine(const options& opt, report& out);
void engine_lat(const options& opt, report& out);
void engine_thr(const options& opt, report& out);
// Its variants: raw native native-epoll native-libzmq floor.
std::vector<std::string> engine_variants();
void http(const options& opt, report& out);
// The variants of the http benchmark that can exist here: beast (with
// Boost), zring, zring-epoll, tornado (with python3-tornado).
std::vector<std::string> http_variants();
// zring-bench _http_server VARIANT: serves the hello world until killed.
int serve_http(const std::string& variant);
// WebSocket echo (beast, zring, zring-epoll, tornado), its server
// (zring-bench _ws_server VARIANT) and its clients (_ws_client PORT CLIENTS SECONDS).
void ws(const options& opt, report& out);
std::vector<std::string> ws_variants();
int serve_ws(const std::string& variant);
int ws_client(int port, int clients, double seconds);
// SSE fan-out of a ZeroMQ stream (zring, zring-epoll, tornado), its server
// (_sse_server VARIANT PUB_ENDPOINT) and its clients
// (_sse_client PORT SERVER_PID SUBSCRIBERS SECONDS).
void sse(const options& opt, report& out);
std::vector<std::string> sse_variants();
int serve_sse(const std::string& variant, const std::string& endpoint);
int sse_client(int port, int server_pid, int subscribers, double seconds);

// The variants of the tcp benchmark that can exist here: blocking zring zring-epoll asio.
std::vector<std::string> tcp_variants();

// Checks this run's numbers against zring's published targets.
void check_targets(report& out);

// The variants of a benchmark (of the ZeroMQ ones unless `all` says) that
// this invocation runs.
std::vector<std::string> selected_variants(const options& opt, const std::vector<std::string>& all);
std::vector<std::string> selected_variants(const options& opt);
// The variants in repetition rep's order: each goes first in turn, so that
// none always runs on a machine the one before warmed up.
std::vector<std::string> in_turn(std::vector<std::string> variants, int rep);
// Records a latency run: median, mean, p99, p99.9 of the round trips (in
// µs, any order) and the client's CPU per round trip.
void record_round_trips(row& r, std::vector<double> us, double client_cpu_seconds);
// Progress on long runs, on stderr when it is a terminal (else nothing):
// which benchmark of how many, the time since start, and a line per
// repetition. The watchdog hears of every repetition either way.
void begin_benchmark(const std::string& name, int index, int count);
void progress(const std::string& benchmark, const params& p, int repetition, int of);
void note_progress(const std::string& text);
// The measuring side of a cross-host --role, which may run for minutes with
// nobody watching a terminal: says up front how many measurements it will
// make, then one line as each finishes, on stderr whatever it is.
class role_progress {
public:
    role_progress(std::string role, std::size_t sizes, std::size_t variants, int repetitions);
    void finished(const std::string& variant, std::size_t size, int repetition);

private:
    std::string role_;
    std::size_t total_;
    std::size_t done_ = 0;
};
// Whether a scheduler on backend b starts here (io_uring may be refused).
bool backend_starts(zring::backend b);
// Raises the soft limit of open descriptors to the hard one; returns it.
std::size_t raise_descriptor_limit();
// An endpoint no other run of this process uses ("tcp" binds port 0).
std::string fresh_endpoint(const std::string& transport);
// libzmq leaves the socket file of a bound ipc endpoint behind: whoever
// bound it removes it (nothing for other transports).
void remove_ipc_file(const std::string& endpoint);

// Across hosts. A listening side says where on stderr ("zring-bench:
// listening on tcp://0.0.0.0:5555"), so that a port given as * can be found.
void announce_listening(zmq::socket_ref s);
void announce_listening(const std::string& endpoint);
// Sends request and returns the reply, blocking: the roles' few control words.
std::string request_reply(zmq::socket_ref s, std::string_view request);
// The first request_reply to the listening side at endpoint, waiting for it
// at most 2 minutes; the error names the peer (e.g. "thr --role recv")
// expected there.
std::string handshake(zmq::socket_ref s, std::string_view hello, const std::string& endpoint, const std::string& peer);
// A fresh endpoint beside a --bind one: tcp on the same interface, any port;
// ipc a sibling path.
std::string data_endpoint(const std::string& bind);
// endpoint, as the peer bound it, made reachable from here: a tcp port goes
// with the host that --connect named (the peer may have bound 0.0.0.0).
std::string reachable(const std::string& endpoint, const std::string& connect);

// thr's sender: a blocking PUSH loop. Its socket stays open until
// before_close() returns, because libzmq 4.3 can drop queued ipc messages
// when a socket closes, LINGER notwithstanding (zeromq/libzmq#4660). With
// --procs it runs in a child process as `zring-bench _sender ENDPOINT COUNT SIZE`.
void send_messages(zmq::context_t& context, const std::string& endpoint, std::int64_t count, std::size_t size,
                   const std::function<void()>& before_close);

}  // namespace bench
