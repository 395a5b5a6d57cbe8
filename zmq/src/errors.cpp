#include <zring/zmq/errors.hpp>

#include <zmq.h>

namespace zring {

namespace {
class zmq_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "zmq"; }
    std::string message(int ev) const override { return zmq_strerror(ev); }
};
}  // namespace

const std::error_category& zmq_category() noexcept {
    static const zmq_error_category category;
    return category;
}

}  // namespace zring
