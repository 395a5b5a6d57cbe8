#include <zring/zmq/security.hpp>

#include <zmq.h>

namespace zring {

curve_keypair make_curve_keypair() {
    char public_key[41];
    char secret_key[41];
    if (zmq_curve_keypair(public_key, secret_key) != 0) throw socket_error(zmq_errno(), "zring::make_curve_keypair");
    return {public_key, secret_key};
}

std::string curve_public_key(std::string_view secret_key) {
    const std::string secret(secret_key);
    char public_key[41];
    if (secret.size() != 40 || zmq_curve_public(public_key, secret.c_str()) != 0)
        throw socket_error(secret.size() != 40 ? EINVAL : zmq_errno(), "zring::curve_public_key: not a Z85 secret key");
    return public_key;
}

void make_curve_server(socket& s, const curve_keypair& keys) {
    s.set(zmq::sockopt::curve_server, true);
    s.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

void make_curve_client(socket& s, const curve_keypair& keys, std::string_view server_public_key) {
    s.set(zmq::sockopt::curve_serverkey, std::string(server_public_key));
    s.set(zmq::sockopt::curve_publickey, keys.public_key);
    s.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

authenticator::authenticator(scheduler& s, zmq::context_t& context) : handler_(s, context, zmq::socket_type::rep) {
    handler_.set(zmq::sockopt::linger, 0);
    handler_.bind("inproc://zeromq.zap.01");
}

authenticator::verdict authenticator::judge(std::string_view address, std::string_view mechanism,
                                            const std::vector<zmq::message_t>& request) const {
    const std::string ip(address);
    if (!allowed_ips_.empty() && !allowed_ips_.count(ip)) return {false, "address not allowed", ""};
    if (denied_ips_.count(ip)) return {false, "address denied", ""};
    if (mechanism == "NULL") return {true, "OK", ""};
    if (mechanism == "CURVE") {
        // Frame 6 holds the client's 32-byte public key.
        if (request.size() < 7 || request[6].size() != 32) return {false, "malformed CURVE credentials", ""};
        char z85[41];
        zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[6].data()), 32);
        if (any_curve_key_ || curve_keys_.count(z85)) return {true, "OK", z85};
        return {false, "unknown CURVE key", ""};
    }
    return {false, "mechanism not supported", ""};
}

task<void> authenticator::run() {
    try {
        for (;;) {
            auto request = co_await handler_.recv_multipart();
            // version, request id, domain, address, identity, mechanism, credentials...
            std::vector<zmq::message_t> reply;
            reply.emplace_back(std::string_view("1.0"));
            if (request.size() < 6 || request[0].to_string_view() != "1.0") {
                reply.emplace_back(request.size() > 1 ? request[1].to_string_view() : std::string_view());
                reply.emplace_back(std::string_view("400"));
                reply.emplace_back(std::string_view("malformed ZAP request"));
                ++refused_;
            } else {
                const verdict v = judge(request[3].to_string_view(), request[5].to_string_view(), request);
                reply.emplace_back(request[1].data(), request[1].size());
                reply.emplace_back(std::string_view(v.allowed ? "200" : "400"));
                reply.emplace_back(std::string_view(v.reason));
                if (!v.allowed) ++refused_;
                reply.emplace_back(std::string_view(v.user_id));
                reply.emplace_back();
            }
            if (reply.size() == 4) {
                reply.emplace_back();
                reply.emplace_back();
            }
            ++requests_;
            co_await handler_.send_multipart(std::move(reply));
        }
    } catch (const socket_closed&) {
    }
}

}  // namespace zring
