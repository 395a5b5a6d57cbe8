#pragma once
// A security mechanism's half of the handshake (RFC 37, section 3.2): after
// the greetings, the two peers exchange the mechanism's commands until both
// are ready, then traffic flows. NULL is the first; PLAIN and CURVE plug in
// here without touching the engine: it only moves their commands.

#include "zmtp/wire.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace zring::zmtp::detail {

class mechanism {
public:
    virtual ~mechanism() = default;
    // As the greeting names it ("NULL").
    virtual std::string_view name() const noexcept = 0;
    // Appends the command frames to send now, if any.
    virtual void produce(std::vector<std::byte>& out) = 0;
    // A command from the peer; throws protocol_error for one out of place,
    // and for the peer's ERROR (with its reason).
    virtual void consume(const command_view& command) = 0;
    // Both sides are done: traffic may flow.
    virtual bool ready() const noexcept = 0;
    // What the peer said about itself (Socket-Type, Identity, ...).
    virtual const properties& peer_properties() const noexcept = 0;
};

// NULL: each side sends READY with its metadata, and is ready once it has
// the peer's.
std::unique_ptr<mechanism> make_null_mechanism(properties ours);

}  // namespace zring::zmtp::detail
