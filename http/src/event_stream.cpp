#include <zring/http/errors.hpp>
#include <zring/http/event_stream.hpp>

#include <stdexcept>
#include <string>

namespace zring::http {

namespace {
void check_one_line(std::string_view field, std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos)
        throw std::invalid_argument("zring::http::event_stream::send: the " + std::string(field) +
                                    " must be one line");
}
}  // namespace

void event_stream::queue(std::string_view data, std::string_view event, std::string_view id) {
    check_one_line("event", event);
    check_one_line("id", id);
    std::string& text = queued_;
    if (!event.empty()) text.append("event: ").append(event).append("\n");
    if (!id.empty()) text.append("id: ").append(id).append("\n");
    // Each line of the data its own field: CR, LF and CRLF all end a line.
    for (;;) {
        const std::size_t end = data.find_first_of("\r\n");
        text.append("data: ").append(data.substr(0, end)).append("\n");
        if (end == std::string_view::npos) break;
        data.remove_prefix(end + (data.substr(end, 2) == "\r\n" ? 2 : 1));
    }
    text.append("\n");
}

task<void> event_stream::send(std::string_view data, std::string_view event, std::string_view id) {
    queue(data, event, id);
    co_await flush();
}

task<void> event_stream::retry(std::chrono::milliseconds delay) {
    const std::string field = "retry: " + std::to_string(delay.count()) + "\n\n";
    co_await write(field);
}

task<void> event_stream::write(std::string_view text) {
    queued_.append(text);
    co_await flush();
}

task<void> event_stream::flush() {
    const auto gone = [] { return client_disconnected("zring::http::event_stream::send: the client has disconnected"); };
    if (!connected_) throw gone();
    auto lock = co_await writing_.scoped_lock();
    if (!connected_) throw gone();  // the flush before this one, which took its events, failed
    if (queued_.empty()) co_return;  // a flush before this one took them
    // Queued while this write is under way goes to the next one.
    std::swap(queued_, writing_buffer_);
    struct emptied {
        std::string& buffer;
        ~emptied() {
            // A burst's capacity is not kept for the life of the stream.
            if (buffer.capacity() > 64 * 1024)
                std::string().swap(buffer);
            else
                buffer.clear();
        }
    } after{writing_buffer_};
    try {
        co_await out_.write(writing_buffer_);
    } catch (...) {
        connected_ = false;  // failed, timed out or cancelled: what was queued is not known to have gone
        throw;
    }
    last_write_ = std::chrono::steady_clock::now();
}

}  // namespace zring::http
