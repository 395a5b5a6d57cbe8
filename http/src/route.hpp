#pragma once
// Path patterns: "/items/{id}", "/static/{path...}".

#include <zring/http/request.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace zring::http::detail {

class path_pattern {
public:
    // std::invalid_argument for a pattern that is not a path, an unclosed
    // brace or a {name...} that is not last.
    explicit path_pattern(std::string_view pattern);

    // Matches the target's raw path (before '?'), segment by segment, each
    // percent-decoded; the parameters it captured go into params.
    bool match(std::string_view raw_path, std::vector<request::argument>& params) const;

private:
    struct segment {
        std::string text;  // literal text, or the parameter's name
        bool parameter = false;
        bool rest = false;  // {name...}: this and every later segment
    };
    std::vector<segment> segments_;
};

}  // namespace zring::http::detail
