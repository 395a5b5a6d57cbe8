#pragma once
// The pieces of static file serving that need no file: types, dates, ranges.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace zring::http::detail {

// The Content-Type for a file name's extension; application/octet-stream
// for one not known.
std::string_view content_type_of(std::string_view name) noexcept;
// An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") and back; nullopt if malformed.
std::string format_http_date(std::time_t t);
std::optional<std::time_t> parse_http_date(std::string_view text);

struct byte_range {
    std::uint64_t first, last;  // inclusive
};
enum class range_outcome { whole, partial, unsatisfiable };
// A Range header for one range of a file of `size` bytes ("bytes=0-99",
// "bytes=100-", "bytes=-100"). Anything else (several ranges, another
// unit, a malformed one) serves the whole file, as RFC 9110 14.2 allows.
range_outcome parse_range(std::string_view header, std::uint64_t size, byte_range& range) noexcept;

}  // namespace zring::http::detail
