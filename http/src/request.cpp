#include <zring/http/detail/request_parser.hpp>
#include <zring/http/request.hpp>

#include <stdexcept>

namespace zring::http {

std::optional<std::string_view> request::query(std::string_view name) const noexcept {
    for (const argument& a : query_)
        if (a.first == name) return a.second;
    return std::nullopt;
}

const std::string& request::param(std::string_view name) const {
    for (const argument& a : params_)
        if (a.first == name) return a.second;
    throw std::out_of_range("zring::http::request::param: the route of " + target_ + " has no parameter {" +
                            std::string(name) + "}");
}

void request::clear() noexcept {
    // What an ordinary request needs is kept; a client that once sent a
    // huge target, many fields or a large body must not pin that memory
    // for as long as its connection idles.
    constexpr std::size_t kept_text = 4 * 1024, kept_body = 64 * 1024, kept_fields = 32;
    if (target_.capacity() > kept_text || path_.capacity() > kept_text || query_.capacity() > kept_fields ||
        params_.capacity() > kept_fields || headers_.capacity() > kept_fields || body_.capacity() > kept_body) {
        *this = request();
        return;
    }
    method_.clear();
    target_.clear();
    path_.clear();
    query_.clear();
    params_.clear();
    headers_.clear();
    body_.clear();
    body_source_ = nullptr;
    body_read_ = false;
    version_minor_ = 1;
    peer_ = endpoint();
}

task<std::string_view> request::read_body() {
    if (body_source_) co_return co_await body_source_->read();
    if (body_read_) co_return std::string_view{};
    body_read_ = true;
    co_return std::string_view(body_);
}

std::vector<request::argument> request::form() const {
    std::vector<argument> fields;
    if (!detail::parse_query(body_, fields))
        throw std::invalid_argument("zring::http::request::form: a malformed %-escape in the body of " + target_);
    return fields;
}

}  // namespace zring::http
