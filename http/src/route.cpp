#include "route.hpp"

#include <zring/http/detail/request_parser.hpp>

#include <stdexcept>

namespace zring::http::detail {

namespace {
// The next segment of a path; advances it.
std::string_view next_segment(std::string_view& path) noexcept {
    path.remove_prefix(1);  // the '/'
    const std::size_t slash = path.find('/');
    const std::string_view s = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
    return s;
}
}  // namespace

path_pattern::path_pattern(std::string_view pattern) {
    const std::string named = "zring::http: route pattern \"" + std::string(pattern) + "\"";
    if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument(named + " does not start with '/'");
    std::string_view rest = pattern;
    while (!rest.empty()) {
        const std::string_view s = next_segment(rest);
        segment seg;
        if (!s.empty() && s.front() == '{') {
            if (s.back() != '}' || s.size() < 3) throw std::invalid_argument(named + " has a malformed {parameter}");
            seg.parameter = true;
            seg.text = s.substr(1, s.size() - 2);
            if (seg.text.size() > 3 && seg.text.ends_with("...")) {
                seg.rest = true;
                seg.text.resize(seg.text.size() - 3);
                if (!rest.empty()) throw std::invalid_argument(named + ": {" + seg.text + "...} must be last");
            }
        } else if (s.find_first_of("{}") != std::string_view::npos) {
            throw std::invalid_argument(named + " has a brace inside a segment");
        } else {
            seg.text = s;
        }
        segments_.push_back(std::move(seg));
    }
}

bool path_pattern::match(std::string_view raw_path, std::vector<request::argument>& params) const {
    if (raw_path.empty() || raw_path.front() != '/') return false;  // "*" (OPTIONS) is no path
    const std::size_t captured = params.size();
    std::string decoded;
    for (const segment& seg : segments_) {
        if (raw_path.empty()) {
            params.resize(captured);
            return false;
        }
        if (seg.rest) {
            if (!percent_decode(raw_path.substr(1), decoded, false)) break;
            params.emplace_back(seg.text, decoded);
            return true;
        }
        if (!percent_decode(next_segment(raw_path), decoded, false)) break;
        if (seg.parameter) {
            if (decoded.empty()) break;
            params.emplace_back(seg.text, decoded);
        } else if (decoded != seg.text) {
            break;
        }
        if (&seg == &segments_.back() && raw_path.empty()) return true;
    }
    params.resize(captured);
    return false;
}

}  // namespace zring::http::detail
