#pragma once
// The Paranoid Pirate Protocol between ppqueue and ppworker: a worker's
// one-frame control messages, and the heartbeat settings both ends share.
// A request is [client, "", body] on the worker's DEALER; its reply is the
// same envelope with the reply body.

#include "../common/cli.hpp"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ppp {

inline constexpr std::string_view ready = "\x01";      // worker -> queue, after (re)connecting
inline constexpr std::string_view heartbeat = "\x02";  // both ways, every interval

struct heartbeat_settings {
    std::chrono::milliseconds interval;
    std::int64_t liveness;  // intervals without a word before the peer counts as dead

    std::chrono::milliseconds expiry() const noexcept { return interval * liveness; }

    static heartbeat_settings from(const examples::cli& args) {
        heartbeat_settings h{std::chrono::milliseconds(args.number("heartbeat-ms", 1000)), args.number("liveness", 3)};
        if (h.interval.count() == 0) args.fail("--heartbeat-ms must be at least 1");
        if (h.liveness == 0) args.fail("--liveness must be at least 1");
        return h;
    }
};

inline constexpr const char* heartbeat_help = "heartbeat interval (default 1000)";
inline constexpr const char* liveness_help = "heartbeats missed before the peer counts as dead (default 3)";

}  // namespace ppp
