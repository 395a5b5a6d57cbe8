// Static files: types, dates, ranges, and paths that try to leave the root.
#include "../../http/src/static_files.hpp"
#include "server_fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using zring_test::http_fixture;
using zring_test::raw_response;
using zring_test::read_response;
namespace fs = std::filesystem;
namespace detail = zring::http::detail;

namespace {

// A root with files, a directory, a FIFO, and symlinks in and out of it.
struct site {
    site() {
        char name[] = "/tmp/zring-static-XXXXXX";
        base = mkdtemp(name);
        root = base / "root";
        fs::create_directories(root / "sub");
        write(root / "index.html", "<h1>hi</h1>");
        write(root / "sub" / "notes.txt", "0123456789abcdefghij");
        write(base / "secret.txt", "outside the root");
        for (int i = 0; i < (1 << 20); ++i) big.push_back(static_cast<char>(i * 7 + i / 4096));
        write(root / "big.bin", big);
        fs::create_symlink("sub/notes.txt", root / "inside-link.txt");
        fs::create_symlink(root / "sub" / "notes.txt", root / "absolute-link.txt");
        fs::create_symlink(base / "secret.txt", root / "outside-link.txt");
        fs::create_symlink("../secret.txt", root / "relative-link.txt");
        mkfifo((root / "fifo").c_str(), 0600);
    }
    ~site() { fs::remove_all(base); }
    static void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

    fs::path base, root;
    std::string big;
};

zring::task<raw_response> get(http_fixture& f, std::string target, std::string extra = {}, bool head = false) {
    zring::tcp_stream c = co_await f.connect();
    const std::string method = head ? "HEAD " : "GET ";
    const std::string bytes = method + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
    co_await c.write(bytes);
    raw_response r = co_await read_response(c, !head);
    co_return r;
}

}  // namespace

TEST_CASE("content types come from the extension, dates round-trip, ranges parse as RFC 9110 says",
          "[http][static]") {
    CHECK(detail::content_type_of("a/b/page.HTML") == "text/html; charset=utf-8");
    CHECK(detail::content_type_of("app.js") == "text/javascript; charset=utf-8");
    CHECK(detail::content_type_of("x.unknown") == "application/octet-stream");
    CHECK(detail::content_type_of("dir.d/noext") == "application/octet-stream");
    CHECK(detail::format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(detail::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK_FALSE(detail::parse_http_date("yesterday"));
    detail::byte_range r{};
    using o = detail::range_outcome;
    CHECK(detail::parse_range("bytes=0-9", 100, r) == o::partial);
    CHECK((r.first == 0 && r.last == 9));
    CHECK(detail::parse_range("bytes=90-", 100, r) == o::partial);
    CHECK((r.first == 90 && r.last == 99));
    CHECK(detail::parse_range("bytes=-10", 100, r) == o::partial);
    CHECK((r.first == 90 && r.last == 99));
    CHECK(detail::parse_range("bytes=50-500", 100, r) == o::partial);
    CHECK((r.first == 50 && r.last == 99));
    CHECK(detail::parse_range("bytes=100-", 100, r) == o::unsatisfiable);
    CHECK(detail::parse_range("bytes=-0", 100, r) == o::unsatisfiable);
    for (const char* whole : {"", "items=0-1", "bytes=0-1,5-6", "bytes=x-1", "bytes=5-1", "bytes=1"})
        CHECK(detail::parse_range(whole, 100, r) == o::whole);
}

TEST_CASE("a static file is served with its type, length and Last-Modified, and 304 when not modified",
          "[http][static]") {
    site files;
    http_fixture f;
    f.app.route_static("/static", files.root.string());
    auto client = [&]() -> zring::task<void> {
        const raw_response r = co_await get(f, "/static/index.html");
        CHECK(r.status == 200);
        CHECK(r.body == "<h1>hi</h1>");
        CHECK(r.headers.get("Content-Type") == "text/html; charset=utf-8");
        CHECK(r.headers.get("Content-Length") == "11");
        CHECK(r.headers.get("Accept-Ranges") == "bytes");
        const std::string modified(r.headers.get("Last-Modified").value_or(""));
        REQUIRE_FALSE(modified.empty());
        const raw_response same = co_await get(f, "/static/index.html", "If-Modified-Since: " + modified + "\r\n");
        CHECK(same.status == 304);
        CHECK(same.body.empty());
        const raw_response older =
            co_await get(f, "/static/index.html", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
        CHECK(older.status == 200);
        const raw_response nested = co_await get(f, "/static/sub/notes.txt");
        CHECK(nested.body == "0123456789abcdefghij");
        CHECK(nested.headers.get("Content-Type") == "text/plain; charset=utf-8");
        const raw_response head = co_await get(f, "/static/sub/notes.txt", {}, true);
        CHECK(head.headers.get("Content-Length") == "20");
        const raw_response big = co_await get(f, "/static/big.bin");
        CHECK(big.body == files.big);  // read in several pieces
        const raw_response linked = co_await get(f, "/static/inside-link.txt");
        CHECK(linked.body == "0123456789abcdefghij");
    };
    f.run(client);
}

TEST_CASE("one Range is served 206, an unsatisfiable one 416", "[http][static]") {
    site files;
    http_fixture f;
    f.app.route_static("/static", files.root.string());
    auto client = [&]() -> zring::task<void> {
        const raw_response part = co_await get(f, "/static/sub/notes.txt", "Range: bytes=5-9\r\n");
        CHECK(part.status == 206);
        CHECK(part.body == "56789");
        CHECK(part.headers.get("Content-Range") == "bytes 5-9/20");
        const raw_response tail = co_await get(f, "/static/sub/notes.txt", "Range: bytes=-3\r\n");
        CHECK(tail.body == "hij");
        const raw_response past = co_await get(f, "/static/sub/notes.txt", "Range: bytes=20-\r\n");
        CHECK(past.status == 416);
        CHECK(past.headers.get("Content-Range") == "bytes */20");
        const raw_response big = co_await get(f, "/static/big.bin", "Range: bytes=300000-700000\r\n");
        CHECK(big.body == files.big.substr(300000, 400001));
    };
    f.run(client);
}

TEST_CASE("paths that leave the root, directories and special files are refused", "[http][static]") {
    site files;
    http_fixture f;
    f.app.route_static("/static", files.root.string());
    struct refused {
        const char* target;
        int status;
    };
    const refused cases[] = {
        {"/static/../secret.txt", 404},         {"/static/%2e%2e/secret.txt", 404},
        {"/static/sub/../../secret.txt", 404},  {"/static/sub%2F..%2F..%2Fsecret.txt", 404},
        {"/static//etc/passwd", 404},           {"/static/%2Fetc%2Fpasswd", 404},
        {"/static/outside-link.txt", 404},      {"/static/relative-link.txt", 404},
        {"/static/absolute-link.txt", 404},  // absolute links resolve from /, not beneath the root
        {"/static/sub", 404},                   {"/static/", 404},
        {"/static/fifo", 404},                  {"/static/missing.txt", 404},
        {"/static/a%00b", 400},
    };
    auto client = [&]() -> zring::task<void> {
        for (const refused& r : cases) {
            INFO(r.target);
            const raw_response answer = co_await get(f, r.target);
            CHECK(answer.status == r.status);
            CHECK(answer.body.find("outside the root") == std::string::npos);
        }
    };
    f.run(client);
}
