#include "zmtp/mechanism.hpp"

#include <utility>

namespace zring::zmtp::detail {

namespace {

class null_mechanism final : public mechanism {
public:
    explicit null_mechanism(properties ours) : ours_(std::move(ours)) {}

    std::string_view name() const noexcept override { return "NULL"; }

    void produce(std::vector<std::byte>& out) override {
        if (sent_) return;
        std::vector<std::byte> data;
        append_properties(data, ours_);
        append_command(out, "READY", data);
        sent_ = true;
    }

    void consume(const command_view& command) override {
        if (command.name == "ERROR") throw protocol_error("peer refused the handshake: " + decode_error(command.data));
        if (command.name != "READY" || received_)
            throw protocol_error("unexpected command '" + std::string(command.name) + "' in the NULL handshake");
        peer_ = decode_properties(command.data);
        received_ = true;
    }

    bool ready() const noexcept override { return sent_ && received_; }
    const properties& peer_properties() const noexcept override { return peer_; }

private:
    properties ours_;
    properties peer_;
    bool sent_ = false;
    bool received_ = false;
};

}  // namespace

std::unique_ptr<mechanism> make_null_mechanism(properties ours) {
    return std::make_unique<null_mechanism>(std::move(ours));
}

}  // namespace zring::zmtp::detail
