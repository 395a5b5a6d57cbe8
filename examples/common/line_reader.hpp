#pragma once
// Reads lines from a file descriptor without blocking the loop: waits with
// zring::poll, then reads what is there.

#include <zring/zring.hpp>

#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>

namespace examples {

class line_reader {
public:
    explicit line_reader(int fd) : fd_(fd) {}

    // The next line without its newline, or nullopt at end of input.
    zring::task<std::optional<std::string>> next() {
        for (;;) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                co_return line;
            }
            if (eof_) {
                if (buffer_.empty()) co_return std::nullopt;
                co_return std::exchange(buffer_, {});
            }
            co_await zring::poll(fd_, POLLIN);
            char chunk[4096];
            const ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n > 0)
                buffer_.append(chunk, static_cast<std::size_t>(n));
            else if (n == 0)
                eof_ = true;
            else if (errno != EAGAIN && errno != EINTR)
                throw std::system_error(errno, std::system_category(), "read");
        }
    }

private:
    int fd_;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace examples
