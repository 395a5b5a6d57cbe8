#include <zring/http/headers.hpp>

#include <algorithm>

namespace zring::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> headers::get(std::string_view name) const noexcept {
    for (const field& f : fields_)
        if (iequals(f.first, name)) return f.second;
    return std::nullopt;
}

std::size_t headers::count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(), [&](const field& f) { return iequals(f.first, name); }));
}

bool headers::has_token(std::string_view name, std::string_view token) const noexcept {
    for (const field& f : fields_) {
        if (!iequals(f.first, name)) continue;
        std::string_view rest = f.second;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
            if (iequals(item, token)) return true;
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    return false;
}

void headers::set(std::string_view name, std::string value) {
    erase(name);
    fields_.emplace_back(std::string(name), std::move(value));
}

std::size_t headers::erase(std::string_view name) noexcept {
    return std::erase_if(fields_, [&](const field& f) { return iequals(f.first, name); });
}

}  // namespace zring::http
