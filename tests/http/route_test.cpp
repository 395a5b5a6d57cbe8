// Route patterns, matched against raw paths.
#include "../../http/src/route.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using zring::http::detail::path_pattern;
using argument = zring::http::request::argument;

namespace {
std::vector<argument> match(const char* pattern, const char* path) {
    std::vector<argument> params;
    if (!path_pattern(pattern).match(path, params)) throw std::runtime_error("no match");
    return params;
}
bool matches(const char* pattern, const char* path) {
    std::vector<argument> params;
    const bool m = path_pattern(pattern).match(path, params);
    if (!m) CHECK(params.empty());  // a failed match captures nothing
    return m;
}
}  // namespace

TEST_CASE("a pattern matches literal segments exactly and decoded", "[http][route]") {
    CHECK(matches("/", "/"));
    CHECK_FALSE(matches("/", "/a"));
    CHECK(matches("/a/b", "/a/b"));
    CHECK(matches("/a b", "/a%20b"));
    CHECK_FALSE(matches("/a/b", "/a/b/"));
    CHECK_FALSE(matches("/a/b", "/a"));
    CHECK_FALSE(matches("/a/b", "/a/c"));
    CHECK_FALSE(matches("/", "*"));
}

TEST_CASE("a parameter captures one decoded, non-empty segment; an escaped slash stays in it", "[http][route]") {
    CHECK(match("/items/{id}", "/items/42") == std::vector<argument>{{"id", "42"}});
    CHECK(match("/items/{id}", "/items/a%2Fb") == std::vector<argument>{{"id", "a/b"}});
    CHECK(match("/{a}/x/{b}", "/1/x/2") == std::vector<argument>{{"a", "1"}, {"b", "2"}});
    CHECK_FALSE(matches("/items/{id}", "/items/"));
    CHECK_FALSE(matches("/items/{id}", "/items/1/2"));
    CHECK_FALSE(matches("/items/{id}/x", "/items/1/y"));
    CHECK_FALSE(matches("/items/{id}", "/items/%zz"));
}

TEST_CASE("a last {name...} takes the rest of the path", "[http][route]") {
    CHECK(match("/static/{path...}", "/static/css/site.css") == std::vector<argument>{{"path", "css/site.css"}});
    CHECK(match("/static/{path...}", "/static/") == std::vector<argument>{{"path", ""}});
    CHECK_FALSE(matches("/static/{path...}", "/static"));
}

TEST_CASE("a malformed pattern is refused naming it", "[http][route]") {
    for (const char* bad : {"", "items", "/{unclosed", "/a{b}", "/{rest...}/more", "/{}"}) {
        INFO(bad);
        CHECK_THROWS_AS(path_pattern(bad), std::invalid_argument);
    }
}
