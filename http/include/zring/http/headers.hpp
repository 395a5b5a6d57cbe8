#pragma once
// headers: an HTTP header block. Names compare case-insensitively, the
// order of the fields is kept, and a name may repeat (Set-Cookie).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zring::http {

class headers {
public:
    using field = std::pair<std::string, std::string>;

    headers() = default;
    headers(std::initializer_list<field> fields) : fields_(fields) {}

    // The first value of name, if any.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t count(std::string_view name) const noexcept;
    // Whether a comma-separated field (Connection, Upgrade, ...) lists the
    // token, in any of its fields of that name, ignoring case.
    bool has_token(std::string_view name, std::string_view token) const noexcept;

    // Adds a field, keeping any of the same name.
    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
    // Replaces every field of that name with one.
    void set(std::string_view name, std::string value);
    // Removes every field of that name; how many there were.
    std::size_t erase(std::string_view name) noexcept;

    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }
    std::size_t size() const noexcept { return fields_.size(); }
    bool empty() const noexcept { return fields_.empty(); }
    void clear() noexcept { fields_.clear(); }
    void reserve(std::size_t n) { fields_.reserve(n); }
    std::size_t capacity() const noexcept { return fields_.capacity(); }

private:
    std::vector<field> fields_;
};

// ASCII case-insensitive equality, as header names and tokens compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace zring::http
