// The server's request parser: llhttp driven by the bytes the ring read.
#include <zring/http/detail/request_parser.hpp>

#include <llhttp.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

namespace zring::http::detail {

namespace {
// Request line and each header field's separators count against the limit
// too, so a flood of empty fields cannot pass under it.
constexpr std::size_t per_field_overhead = 4;
constexpr std::size_t max_extension_bytes = 16 * 1024;  // per request, as Node.js allows
}  // namespace

struct request_parser::impl {
    llhttp_t parser{};
    parser_limits limits;
    request building;
    std::string field, value;
    bool started = false;
    bool field_done = false;  // `field` is whole; its value comes next
    bool in_body = false;     // the head is complete
    bool message_done = false;
    bool expect_continue = false;
    bool upgrade = false;
    bool keep_alive = false;
    std::size_t head_bytes = 0;
    std::size_t extension_bytes = 0;
    std::size_t body_bytes = 0;
    std::size_t body_limit;     // this request's: limits.max_body_size unless limit_body() lowered it
    bool streaming = false;     // body bytes go to `streamed`, not to the request
    std::string streamed;
    int error_status = 0;
    std::string error_reason;

    explicit impl(parser_limits l) : limits(l), body_limit(l.max_body_size) {
        llhttp_init(&parser, HTTP_REQUEST, &settings());
        parser.data = this;
    }

    static impl& of(llhttp_t* p) noexcept { return *static_cast<impl*>(p->data); }

    int fail(int status, std::string reason) {
        error_status = status;
        error_reason = std::move(reason);
        return HPE_USER;
    }

    // Counts head bytes against the limit: 431 past it.
    int count_head(std::size_t n) {
        head_bytes += n;
        if (head_bytes > limits.max_header_size)
            return fail(431, "the request head exceeds " + std::to_string(limits.max_header_size) + " bytes");
        return HPE_OK;
    }

    static int on_message_begin(llhttp_t* p) {
        impl& self = of(p);
        self.started = true;
        self.head_bytes = 0;
        self.extension_bytes = 0;
        self.body_bytes = 0;
        return self.count_head(per_field_overhead);
    }
    static int on_url(llhttp_t* p, const char* at, std::size_t n) {
        impl& self = of(p);
        self.building.target_.append(at, n);
        return self.count_head(n);
    }
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
        impl& self = of(p);
        if (self.field_done) self.store_field();
        self.field.append(at, n);
        return self.count_head(n);
    }
    static int on_header_field_complete(llhttp_t* p) {
        impl& self = of(p);
        self.field_done = true;  // the value, possibly empty, follows
        return self.count_head(per_field_overhead);
    }
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
        impl& self = of(p);
        self.value.append(at, n);
        return self.count_head(n);
    }
    void store_field() {
        // llhttp drops the whitespace before a value, not after it (RFC 9110 5.5: OWS).
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        // A chunked body's trailers are not headers (RFC 9110 6.5.1): merged,
        // they would slip past the checks made on the head. They are dropped.
        if (!in_body) building.headers_.add(std::move(field), std::move(value));
        field.clear();
        value.clear();
        field_done = false;
    }
    static int on_headers_complete(llhttp_t* p) {
        impl& self = of(p);
        if (self.field_done) self.store_field();
        if (self.in_body) return HPE_OK;  // trailers of a chunked body
        return self.head_complete();
    }
    // llhttp skips chunk extensions unless asked: counted here, so that a
    // body of endless extensions is refused rather than read for ever.
    static int on_chunk_extension(llhttp_t* p, const char*, std::size_t n) {
        impl& self = of(p);
        self.extension_bytes += n;
        if (self.extension_bytes > max_extension_bytes)
            return self.fail(400, "chunk extensions exceed " + std::to_string(max_extension_bytes) + " bytes");
        return HPE_OK;
    }
    static int on_body(llhttp_t* p, const char* at, std::size_t n) {
        impl& self = of(p);
        if (n > self.body_limit - self.body_bytes) return self.body_too_large();
        self.body_bytes += n;
        (self.streaming ? self.streamed : self.building.body_).append(at, n);
        return HPE_OK;
    }
    static int on_message_complete(llhttp_t* p) {
        impl& self = of(p);
        if (self.field_done) self.store_field();
        self.message_done = true;
        self.keep_alive = llhttp_should_keep_alive(p) != 0;
        self.upgrade = llhttp_get_upgrade(p) != 0;
        return HPE_PAUSED;
    }

    int head_complete() {
        in_body = true;
        request& r = building;
        r.method_ = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser)));
        if (llhttp_get_http_major(&parser) != 1) return fail(505, "only HTTP/1.x is served");
        r.version_minor_ = llhttp_get_http_minor(&parser);
        // Smuggling: llhttp refuses Content-Length beside Transfer-Encoding;
        // a repeated Content-Length is refused here even if the values agree.
        if (r.headers_.count("Content-Length") > 1) return fail(400, "more than one Content-Length");
        if (r.headers_.contains("Transfer-Encoding") && r.headers_.contains("Content-Length"))
            return fail(400, "both Content-Length and Transfer-Encoding");
        if (r.version_minor_ == 0 && r.headers_.contains("Transfer-Encoding"))
            return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (!declared_within_limit()) return body_too_large();
        if (r.version_minor_ >= 1 && !r.headers_.contains("Host")) return fail(400, "no Host header");

        const std::string_view target = r.target_;
        if (target.empty() || target.front() != '/') {
            // Absolute form ("http://host/path") is for proxies; "*" is OPTIONS's.
            if (!(target == "*" && r.method_ == "OPTIONS")) return fail(400, "the target is not a path");
        }
        const std::size_t mark = target.find('?');
        const std::string_view path = target.substr(0, mark);
        if (!percent_decode(path, r.path_, false)) return fail(400, "a malformed %-escape in the path");
        if (r.path_.find('\0') != std::string::npos) return fail(400, "a NUL byte in the path");
        if (mark != std::string_view::npos && !parse_query(target.substr(mark + 1), r.query_))
            return fail(400, "a malformed %-escape in the query");

        if (const auto expect = r.headers_.get("Expect")) {
            if (!iequals(*expect, "100-continue")) return fail(417, "Expect: " + std::string(*expect));
            expect_continue = r.version_minor_ >= 1 && body_follows();
        }
        // Before a body, pause: the server may answer without reading it
        // (no route, 100 Continue to send).
        return body_follows() ? HPE_PAUSED : HPE_OK;
    }

    bool declared_within_limit() const noexcept {
        return !(parser.flags & F_CONTENT_LENGTH) || parser.content_length <= body_limit;
    }
    int body_too_large() { return fail(413, "the body exceeds " + std::to_string(body_limit) + " bytes"); }

    bool body_follows() const noexcept {
        return (parser.flags & F_CHUNKED) || ((parser.flags & F_CONTENT_LENGTH) && parser.content_length > 0);
    }

    // Nothing may unwind through llhttp's C frames: running out of memory
    // while building the request answers 503 instead.
    template <int (*F)(llhttp_t*)>
    static int guarded(llhttp_t* p) noexcept {
        try {
            return F(p);
        } catch (...) {
            return of(p).out_of_memory();
        }
    }
    template <int (*F)(llhttp_t*, const char*, std::size_t)>
    static int guarded(llhttp_t* p, const char* at, std::size_t n) noexcept {
        try {
            return F(p, at, n);
        } catch (...) {
            return of(p).out_of_memory();
        }
    }
    int out_of_memory() noexcept {
        error_status = 503;
        error_reason.clear();  // no allocation: the status says it
        return HPE_USER;
    }

    static const llhttp_settings_t& settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t s;
            llhttp_settings_init(&s);
            s.on_message_begin = guarded<on_message_begin>;
            s.on_url = guarded<on_url>;
            s.on_header_field = guarded<on_header_field>;
            s.on_header_value = guarded<on_header_value>;
            s.on_header_field_complete = guarded<on_header_field_complete>;
            s.on_headers_complete = guarded<on_headers_complete>;
            s.on_body = guarded<on_body>;
            s.on_chunk_extension_name = guarded<on_chunk_extension>;
            s.on_chunk_extension_value = guarded<on_chunk_extension>;
            s.on_message_complete = guarded<on_message_complete>;
            return s;
        }();
        return s;
    }

    result after(llhttp_errno_t rc, const char* start, std::size_t length) {
        const char* stop = rc == HPE_OK ? start + length : llhttp_get_error_pos(&parser);
        const std::size_t consumed = stop && stop >= start ? static_cast<std::size_t>(stop - start) : length;
        if (error_status) return {event::error, consumed};  // a callback refused: its status stands
        switch (rc) {
        case HPE_OK:
            return {event::need_more, length};
        case HPE_PAUSED:
            return {message_done ? event::message : event::headers, consumed};
        default:
            error_status = 400;
            error_reason = llhttp_errno_name(rc);
            if (const char* why = llhttp_get_error_reason(&parser); why && *why) error_reason += std::string(": ") + why;
            return {event::error, consumed};
        }
    }
};

request_parser::request_parser(parser_limits limits) : impl_(std::make_unique<impl>(limits)) {}
request_parser::~request_parser() = default;

request_parser::result request_parser::feed(std::string_view bytes) {
    impl& s = *impl_;
    if (s.error_status) return {event::error, 0};
    const llhttp_errno_t rc = llhttp_execute(&s.parser, bytes.data(), bytes.size());
    return s.after(rc, bytes.data(), bytes.size());
}

request_parser::result request_parser::finish() {
    impl& s = *impl_;
    if (!s.started) return {event::need_more, 0};
    if (!s.error_status) {
        s.error_status = 400;
        s.error_reason = "the stream ended within a request";
    }
    return {event::error, 0};
}

void request_parser::resume() noexcept { llhttp_resume(&impl_->parser); }

bool request_parser::limit_body(std::size_t max) {
    impl& s = *impl_;
    s.body_limit = std::min(max, s.limits.max_body_size);
    if (s.declared_within_limit()) return true;
    s.body_too_large();
    return false;
}

void request_parser::stream_body() noexcept { impl_->streaming = true; }

std::string& request_parser::streamed() noexcept { return impl_->streamed; }

void request_parser::next() noexcept {
    impl& s = *impl_;
    s.building.clear();
    constexpr std::size_t kept_text = 4 * 1024;
    if (s.field.capacity() > kept_text) std::string().swap(s.field);
    if (s.value.capacity() > kept_text) std::string().swap(s.value);
    if (s.streamed.capacity() > kept_text) std::string().swap(s.streamed);
    s.started = s.in_body = s.expect_continue = s.upgrade = s.message_done = s.field_done = s.streaming = false;
    s.body_limit = s.limits.max_body_size;
    s.streamed.clear();
    llhttp_resume(&s.parser);
}

request& request_parser::current() noexcept { return impl_->building; }
bool request_parser::started() const noexcept { return impl_->started; }
bool request_parser::reading_body() const noexcept { return impl_->in_body; }
bool request_parser::expects_continue() const noexcept { return impl_->expect_continue; }
bool request_parser::keep_alive() const noexcept {
    return impl_->message_done ? impl_->keep_alive : llhttp_should_keep_alive(&impl_->parser) != 0;
}
bool request_parser::complete() const noexcept { return impl_->message_done; }
bool request_parser::upgrade() const noexcept { return impl_->upgrade; }
int request_parser::error_status() const noexcept { return impl_->error_status; }
const std::string& request_parser::error_reason() const noexcept { return impl_->error_reason; }

}  // namespace zring::http::detail
