// Percent-decoding and query strings (RFC 3986, and the form encoding's '+').
#include <zring/http/detail/request_parser.hpp>

namespace zring::http::detail {

namespace {
int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(plus_is_space && c == '+' ? ' ' : c);
        }
    }
    return true;
}

bool parse_query(std::string_view query, std::vector<request::argument>& into) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        request::argument a;
        if (!percent_decode(pair.substr(0, eq), a.first, true)) return false;
        if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), a.second, true)) return false;
        into.push_back(std::move(a));
    }
    return true;
}

}  // namespace zring::http::detail
