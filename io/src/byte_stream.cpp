#include <zring/io/byte_stream.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace zring {

namespace {

// What one read asks of the kernel: Tornado's read_chunk_size.
constexpr std::size_t read_chunk = 64 * 1024;
// A kernel result is an int: one call moves at most this much.
constexpr std::size_t max_call = INT_MAX / 2 + 1;

// The room a read_exactly asks for: the buffer grows with what arrives,
// not with what was asked.
std::size_t chunk_for(std::size_t missing) noexcept { return std::clamp(missing, std::size_t{4096}, 4 * read_chunk); }

}  // namespace

byte_stream::byte_stream(scheduler& s, int fd, const char* kind, endpoint peer, const endpoint& label)
    : scheduler_(&s), fd_(fd), peer_(std::move(peer)) {
    try {
        name_ = std::make_shared<const std::string>(std::string("zring::") + kind + "(" + label.to_string() + ")");
    } catch (...) {
        detail::scheduler_access::close_fd(s, fd);  // a connect ran on it
        throw;
    }
    detail::scheduler_access::add_resource(s, this);
}

byte_stream::~byte_stream() {
    close();
    stop_operations(detail::outcome::destroyed);
}

byte_stream::byte_stream(byte_stream&& other) : scheduler_(other.scheduler_) {
    other.check_movable("byte_stream(byte_stream&&)");
    take_over(other);
}

byte_stream& byte_stream::operator=(byte_stream&& other) {
    if (&other == this) return *this;
    other.check_movable("operator=(byte_stream&&)");
    check_movable("operator=(byte_stream&&)");
    close();
    detail::scheduler_access::remove_resource(*scheduler_, this);
    scheduler_ = other.scheduler_;
    take_over(other);
    return *this;
}

void byte_stream::check_movable(const char* operation) const {
    if (fd_ < 0) return;  // a closed stream moves anywhere
    if (!scheduler_->on_owner_thread())
        throw std::logic_error(name() + "::" + operation + ": moved on a thread other than its scheduler's");
    if (reading_ || writing_)
        throw std::logic_error(name() + "::" + operation +
                               ": operations are pending on the stream (a stream moves only while none is)");
}

void byte_stream::take_over(byte_stream& other) noexcept {
    // check_movable passed: nothing waits on either.
    fd_ = std::exchange(other.fd_, -1);
    peer_ = other.peer_;
    name_ = other.name_;
    buffer_ = std::move(other.buffer_);
    head_ = std::exchange(other.head_, 0);
    tail_ = std::exchange(other.tail_, 0);
    if (fd_ >= 0) {
        detail::scheduler_access::remove_resource(*scheduler_, &other);
        detail::scheduler_access::add_resource(*scheduler_, this);
    }
}

void byte_stream::check_usable(const char* operation) const {
    if (fd_ < 0) throw stream_closed(name() + "::" + operation);
    if (!scheduler_->on_owner_thread())
        throw std::logic_error(name() + "::" + operation +
                               ": used from a thread other than its scheduler's (a stream belongs to one scheduler)");
}

void byte_stream::throw_error(const char* operation, int error) const {
    throw std::system_error(error, std::system_category(), name() + "::" + operation);
}

void byte_stream::shutdown_write() {
    check_usable("shutdown_write");
    if (writing_) throw std::logic_error(name() + "::shutdown_write: a write is pending");
    if (::shutdown(fd_, SHUT_WR) != 0) throw_error("shutdown_write", errno);
}

void byte_stream::close() noexcept {
    if (fd_ < 0) return;
    stop_operations(detail::outcome::closed);
    // The kernel keeps its own reference to the file while an operation
    // on it is in flight: the cancellations above end those.
    detail::scheduler_access::close_fd(*scheduler_, std::exchange(fd_, -1));
    buffer_ = {};
    head_ = tail_ = 0;
    detail::scheduler_access::remove_resource(*scheduler_, this);
}

void byte_stream::stop_operations(detail::outcome why) noexcept {
    // A read into the buffer may still be in the kernel: the buffer goes
    // with the operation until its final completion.
    if (reading_ && !buffer_.empty()) reading_->kept = std::move(buffer_);
    for (auto* op : {reading_, writing_})
        if (op) op->stop_for_owner(why, name_);
    if (why == detail::outcome::destroyed) reading_ = writing_ = nullptr;
}

bool byte_stream::reserve(std::size_t want) noexcept {
    if (head_ == tail_) head_ = tail_ = 0;
    if (buffer_.size() - tail_ >= want) return true;
    if (head_ > 0) {  // the unread bytes to the front
        std::memmove(buffer_.data(), buffer_.data() + head_, tail_ - head_);
        tail_ -= head_;
        head_ = 0;
        if (buffer_.size() - tail_ >= want) return true;
    }
    if (want > buffer_.max_size() - tail_) return false;
    try {
        buffer_.resize(tail_ + want);
    } catch (const std::exception&) {  // bad_alloc, length_error
        return false;
    }
    return true;
}

std::span<std::byte> byte_stream::room() noexcept {
    return std::span<std::byte>(buffer_.data() + tail_, std::min(buffer_.size() - tail_, max_call));
}

std::string byte_stream::take(std::size_t n) {
    std::string out(reinterpret_cast<const char*>(buffer_.data() + head_), n);
    consumed(n);
    return out;
}

void byte_stream::take(std::span<std::byte> into) noexcept {
    if (into.empty()) return;  // the buffer may be none at all
    std::memcpy(into.data(), buffer_.data() + head_, into.size());
    consumed(into.size());
}

void byte_stream::consumed(std::size_t n) noexcept {
    head_ += n;
    if (head_ == tail_) {
        head_ = tail_ = 0;
        // A large read_exactly leaves no large buffer behind.
        if (buffer_.size() > 4 * read_chunk) buffer_ = {};
    }
}

namespace detail {

// ---- read_some ----

int read_some_step::ready(byte_stream& s) noexcept {
    if (buffer.empty()) return 0;
    const std::size_t buffered = s.buffered();
    if (buffered == 0) return -1;
    got = std::min(buffered, buffer.size());
    std::memcpy(buffer.data(), s.buffer_.data() + s.head_, got);
    s.head_ += got;
    return 0;
}

void read_some_step::prepare(byte_stream&, io_operation& op) noexcept {
    op.kind = io_kind::recv;
    op.buffer = buffer.data();
    op.length = std::min(buffer.size(), max_call);
    op.flags = 0;
}

int read_some_step::advance(byte_stream&, int result) noexcept {
    got = static_cast<std::size_t>(result);
    return 0;
}

// ---- read_exactly ----

int read_exactly_step::ready(byte_stream& s) noexcept {
    if (s.buffered() >= n) return 0;
    return s.reserve(chunk_for(n - s.buffered())) ? -1 : ENOMEM;
}

void read_exactly_step::prepare(byte_stream& s, io_operation& op) noexcept {
    const std::span<std::byte> r = s.room();
    op.kind = io_kind::recv;
    op.buffer = r.data();
    op.length = r.size();
    op.flags = 0;
}

int read_exactly_step::advance(byte_stream& s, int result) noexcept {
    if (result == 0) return end_of_stream_error;
    s.tail_ += static_cast<std::size_t>(result);
    if (s.buffered() >= n) return 0;
    return s.reserve(chunk_for(n - s.buffered())) ? -1 : ENOMEM;
}

// ---- read_until ----

int read_until_step::search(byte_stream& s) noexcept {
    const auto* data = reinterpret_cast<const char*>(s.buffer_.data() + s.head_);
    const std::string_view buffered(data, s.buffered());
    // Resume the search where the delimiter could begin.
    const std::size_t from = scanned >= delimiter.size() ? scanned - delimiter.size() + 1 : 0;
    if (const auto at = buffered.find(delimiter, from); at != std::string_view::npos && at + delimiter.size() <= max_bytes) {
        found = at + delimiter.size();
        return 0;
    }
    scanned = buffered.size();
    if (buffered.size() >= max_bytes) return read_limit_error;
    return s.reserve(std::min(read_chunk, max_bytes - buffered.size())) ? -1 : ENOMEM;
}

int read_until_step::ready(byte_stream& s) noexcept {
    if (delimiter.empty()) return EINVAL;
    return finish(s, search(s));
}

void read_until_step::prepare(byte_stream& s, io_operation& op) noexcept {
    const std::span<std::byte> r = s.room();
    op.kind = io_kind::recv;
    op.buffer = r.data();
    op.length = std::min(r.size(), max_bytes - std::min(max_bytes, s.buffered()));
    op.flags = 0;
}

int read_until_step::advance(byte_stream& s, int result) noexcept {
    if (result == 0) return end_of_stream_error;
    s.tail_ += static_cast<std::size_t>(result);
    return finish(s, search(s));
}

int read_until_step::finish(byte_stream& s, int rc) noexcept {
    // A peer that sends that much without a delimiter is not speaking the protocol.
    if (rc == read_limit_error) s.close();
    return rc;
}

// ---- write ----

int write_step::ready(byte_stream&) noexcept { return bytes.empty() ? 0 : -1; }

void write_step::prepare(byte_stream&, io_operation& op) noexcept {
    op.kind = io_kind::send;
    op.buffer = const_cast<std::byte*>(bytes.data() + sent);
    op.length = std::min(bytes.size() - sent, max_call);
    op.flags = 0;
}

int write_step::advance(byte_stream&, int result) noexcept {
    sent += static_cast<std::size_t>(result);
    return sent == bytes.size() ? 0 : -1;
}

// ---- gathered write ----

void write_gathered_step::consume(std::size_t n) noexcept {
    sent += n;
    while (next < buffers.size()) {
        const std::size_t left = buffers[next].size() - offset;
        if (n < left) {
            offset += n;
            return;
        }
        n -= left;
        ++next;
        offset = 0;
    }
}

std::size_t write_gathered_step::fill() noexcept {
    std::size_t count = 0, total = 0;
    for (std::size_t i = next; i < buffers.size() && count < batch && total < max_call; ++i) {
        const std::size_t skip = i == next ? offset : 0;
        const std::size_t size = std::min(buffers[i].size() - skip, max_call - total);
        if (size == 0) continue;
        iov[count].iov_base = const_cast<std::byte*>(buffers[i].data() + skip);
        iov[count].iov_len = size;
        total += size;
        ++count;
    }
    message = {};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    return count;
}

int write_gathered_step::ready(byte_stream&) noexcept {
    consume(0);  // skips empty buffers at the front
    return done() ? 0 : -1;
}

void write_gathered_step::prepare(byte_stream&, io_operation& op) noexcept {
    fill();
    op.kind = io_kind::sendmsg;
    op.message = &message;
    op.flags = 0;
}

int write_gathered_step::advance(byte_stream&, int result) noexcept {
    consume(static_cast<std::size_t>(result));
    return done() ? 0 : -1;
}

}  // namespace detail

}  // namespace zring
