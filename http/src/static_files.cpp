// route_static: files under a root, read off the loop thread.
#include "static_files.hpp"

#include <zring/http/errors.hpp>
#include <zring/http/server.hpp>
#include <zring/io/offload.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace zring::http {

namespace detail {

std::string_view content_type_of(std::string_view name) noexcept {
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"},  {".htm", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},    {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},  {".csv", "text/csv; charset=utf-8"},
        {".xml", "application/xml"},            {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},                {".gif", "image/gif"},
        {".webp", "image/webp"},                {".ico", "image/x-icon"},
        {".wasm", "application/wasm"},          {".woff2", "font/woff2"},
        {".woff", "font/woff"},                 {".pdf", "application/pdf"},
        {".mp4", "video/mp4"},                  {".webm", "video/webm"},
    };
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || name.find('/', dot) != std::string_view::npos) return "application/octet-stream";
    for (const auto& [suffix, type] : types)
        if (iequals(name.substr(dot), suffix)) return type;
    return "application/octet-stream";
}

std::string format_http_date(std::time_t t) {
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[40];
    const std::size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return std::string(text, n);
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
    const std::string copy(text);
    std::tm utc{};
    const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    if (!end || *end) return std::nullopt;
    return timegm(&utc);
}

range_outcome parse_range(std::string_view header, std::uint64_t size, byte_range& range) noexcept {
    if (!header.starts_with("bytes=")) return range_outcome::whole;
    std::string_view spec = header.substr(6);
    if (spec.find(',') != std::string_view::npos) return range_outcome::whole;
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return range_outcome::whole;
    auto number = [](std::string_view s, std::uint64_t& out) {
        if (s.empty()) return false;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc{} && p == s.data() + s.size();
    };
    const std::string_view from = spec.substr(0, dash), to = spec.substr(dash + 1);
    std::uint64_t a = 0, b = 0;
    if (from.empty()) {  // the last b bytes
        if (!number(to, b)) return range_outcome::whole;
        if (b == 0 || size == 0) return range_outcome::unsatisfiable;
        range = {size - std::min(b, size), size - 1};
        return range_outcome::partial;
    }
    if (!number(from, a)) return range_outcome::whole;
    if (to.empty()) {
        b = size ? size - 1 : 0;
    } else if (!number(to, b) || b < a) {
        return range_outcome::whole;
    }
    if (a >= size) return range_outcome::unsatisfiable;
    range = {a, std::min(b, size - 1)};
    return range_outcome::partial;
}

}  // namespace detail

namespace {

// A descriptor closed on every path.
struct file {
    int fd = -1;
    file() = default;
    explicit file(int f) : fd(f) {}
    file(file&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    file& operator=(file&& o) noexcept {
        if (this != &o) {
            if (fd >= 0) ::close(fd);
            fd = std::exchange(o.fd, -1);
        }
        return *this;
    }
    ~file() {
        if (fd >= 0) ::close(fd);
    }
};

// Opens path beneath the root: the kernel refuses "..", absolute paths and
// symlinks that would leave it (openat2's RESOLVE_BENEATH).
int open_beneath(int root, const std::string& path) {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;  // a FIFO must not block the open
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

struct opened {
    file f;
    struct stat st {};
};

constexpr std::size_t read_piece = 256 * 1024;

}  // namespace

void server::route_static(std::string_view prefix, const std::string& root) {
    std::string pattern(prefix);
    if (pattern.empty() || pattern.back() != '/') pattern += '/';
    pattern += "{path...}";
    const int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        throw std::system_error(errno, std::system_category(), "zring::http::server::route_static: " + root);
    auto root_dir = std::make_shared<file>(root_fd);
    route_stream("GET", pattern, [root_dir](request& req, response_stream& out) -> task<void> {
        const std::string& path = req.param("path");
        // Nothing absolute, no "..", no NUL: refused before the kernel sees it.
        if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos)
            throw http_error(404, "not found");
        for (std::size_t at = 0; at != std::string::npos;) {
            const std::size_t slash = path.find('/', at);
            if (path.substr(at, slash - at) == "..") throw http_error(404, "not found");
            at = slash == std::string::npos ? slash : slash + 1;
        }
        // Opening and reading may wait on the disk: off the loop thread.
        opened o = co_await offload([&]() {
            opened result;
            const int fd = open_beneath(root_dir->fd, path);
            if (fd < 0) return result;
            result.f = file(fd);
            if (::fstat(fd, &result.st) != 0 || !S_ISREG(result.st.st_mode)) result.f = file();
            return result;
        });
        if (o.f.fd < 0) throw http_error(404, "not found");
        const auto size = static_cast<std::uint64_t>(o.st.st_size);
        const std::time_t modified = o.st.st_mtim.tv_sec;
        out.headers().set("Content-Type", std::string(detail::content_type_of(path)));
        out.headers().set("Last-Modified", detail::format_http_date(modified));
        out.headers().set("Accept-Ranges", "bytes");
        if (auto since = req.header("If-Modified-Since")) {
            const std::optional<std::time_t> t = detail::parse_http_date(*since);
            if (t && modified <= *t) {
                out.set_status(304);  // bodiless: no Content-Length to contradict the 200's
                co_return;
            }
        }
        detail::byte_range range{0, size ? size - 1 : 0};
        switch (detail::parse_range(req.header("Range").value_or(""), size, range)) {
        case detail::range_outcome::whole:
            range = {0, size ? size - 1 : 0};
            break;
        case detail::range_outcome::partial:
            out.set_status(206);
            out.headers().set("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                   std::to_string(range.last) + "/" + std::to_string(size));
            break;
        case detail::range_outcome::unsatisfiable:
            out.set_status(416);
            out.headers().set("Content-Range", "bytes */" + std::to_string(size));
            out.set_content_length(0);
            co_return;
        }
        const std::uint64_t length = size ? range.last - range.first + 1 : 0;
        out.set_content_length(length);
        co_await out.start();
        if (req.method() == "HEAD") co_return;
        std::vector<char> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(length, read_piece)));
        for (std::uint64_t sent = 0; sent < length;) {
            const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length - sent, buffer.size()));
            const auto offset = static_cast<off_t>(range.first + sent);
            // -errno, read on the thread that made the call.
            const ssize_t n = co_await offload([&]() -> ssize_t {
                const ssize_t got = ::pread(o.f.fd, buffer.data(), want, offset);
                return got < 0 ? -errno : got;
            });
            if (n <= 0) {
                // The file shrank or failed under us: the body ends short and
                // the connection closes (response_stream::reusable).
                throw std::system_error(n < 0 ? static_cast<int>(-n) : EIO, std::system_category(),
                                        "zring::http static file " + path + ": read");
            }
            co_await out.write(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            sent += static_cast<std::uint64_t>(n);
        }
    });
}

}  // namespace zring::http
