#pragma once
// CURVE encryption and a ZAP authenticator coroutine, in the manner of
// pyzmq's asyncio authenticator.
//
//     zring::authenticator auth(sched, ctx);          // one per context
//     auth.allow_curve_key(client.public_key);
//     zring::spawn(sched, auth.run());
//     zring::make_curve_server(server, server_keys);
//     zring::make_curve_client(client_socket, client_keys, server_keys.public_key);

#include <zring/coro/task.hpp>
#include <zring/zmq/socket.hpp>

#include <set>
#include <string>
#include <string_view>

namespace zring {

// Z85-encoded, 40 characters each.
struct curve_keypair {
    std::string public_key;
    std::string secret_key;
};

// Throws socket_error (ENOTSUP) if libzmq was built without CURVE.
curve_keypair make_curve_keypair();
// The public key that belongs to a secret key.
std::string curve_public_key(std::string_view secret_key);

// Make s a CURVE server with these keys (set before bind/connect).
void make_curve_server(socket& s, const curve_keypair& keys);
// Make s a CURVE client of the server with that public key.
void make_curve_client(socket& s, const curve_keypair& keys, std::string_view server_public_key);

// Answers libzmq's ZAP requests for every socket of one context. Binds
// inproc://zeromq.zap.01 on construction (throws socket_error if another
// authenticator already serves the context); run() serves until cancelled
// or until the authenticator is destroyed.
//
// A connection is refused if its IP address is denied, or if an allow list
// exists and does not contain it. NULL connections are then accepted (libzmq
// consults ZAP for them only if the socket sets a ZAP domain); CURVE
// connections are accepted if any key is allowed or the client's public key
// is; PLAIN and other mechanisms are refused.
class authenticator {
public:
    authenticator(scheduler& s, zmq::context_t& context);

    void allow(std::string ip) { allowed_ips_.insert(std::move(ip)); }
    void deny(std::string ip) { denied_ips_.insert(std::move(ip)); }
    void allow_any_curve_key() noexcept { any_curve_key_ = true; }
    void allow_curve_key(std::string public_key_z85) { curve_keys_.insert(std::move(public_key_z85)); }

    task<void> run();
    // Requests answered so far, and how many of them were refused.
    std::size_t requests() const noexcept { return requests_; }
    std::size_t refused() const noexcept { return refused_; }

private:
    struct verdict {
        bool allowed;
        std::string reason;
        std::string user_id;
    };
    verdict judge(std::string_view address, std::string_view mechanism,
                  const std::vector<zmq::message_t>& request) const;

    socket handler_;
    std::set<std::string> allowed_ips_;
    std::set<std::string> denied_ips_;
    std::set<std::string> curve_keys_;
    bool any_curve_key_ = false;
    std::size_t requests_ = 0;
    std::size_t refused_ = 0;
};

}  // namespace zring
