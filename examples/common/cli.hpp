#pragma once
// Minimal `--flag value` parsing for the examples: unknown flags and bad
// numbers end the program with a message and exit status 2. Every example
// also takes the switches --verbose, --version and --help.

#include <zring/version.hpp>

#include <zmq.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

class cli {
public:
    // flags: name -> help text. "--help" prints them, then `epilog`.
    cli(int argc, char** argv, std::string usage, std::map<std::string, std::string> flags, std::string epilog = {})
        : usage_(std::move(usage)), flags_(std::move(flags)), epilog_(std::move(epilog)) {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                print_usage(std::cout);
                std::cout << epilog_;
                std::exit(0);
            }
            if (arg == "--version") {
                int major = 0, minor = 0, patch = 0;
                zmq_version(&major, &minor, &patch);
                std::cout << usage_.substr(0, usage_.find(' ')) << " (zring " ZRING_VERSION_STRING ", libzmq " << major
                          << "." << minor << "." << patch << ")\n";
                std::exit(0);
            }
            if (arg == "--verbose") {
                verbose_ = true;
                continue;
            }
            if (arg.rfind("--", 0) != 0 || !flags_.count(arg.substr(2))) fail("unknown option " + arg);
            if (i + 1 >= argc) fail("option " + arg + " needs a value");
            values_[arg.substr(2)].push_back(argv[++i]);
        }
    }

    std::string get(const std::string& name, const std::string& fallback) const {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second.back();
    }
    std::vector<std::string> all(const std::string& name) const {
        auto it = values_.find(name);
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    bool verbose() const noexcept { return verbose_; }

    // A non-negative integer.
    std::int64_t number(const std::string& name, std::int64_t fallback) const {
        if (!has(name)) return fallback;
        const std::string text = get(name, "");
        try {
            std::size_t used = 0;
            const long long v = std::stoll(text, &used);
            if (used == text.size() && v >= 0) return v;
        } catch (const std::exception&) {
        }
        fail("--" + name + " needs a non-negative integer, got '" + text + "'");
    }

    [[noreturn]] void fail(const std::string& message) const {
        std::cerr << "error: " << message << "\n";
        print_usage(std::cerr);
        std::exit(2);
    }

private:
    void print_usage(std::ostream& out) const {
        out << "usage: " << usage_ << "\n";
        for (const auto& [name, help] : flags_) out << "  --" << name << "  " << help << "\n";
        out << "  --verbose  say which scheduler backend runs (io_uring or epoll)\n";
        out << "  --version  print the zring and libzmq versions\n";
    }

    std::string usage_;
    std::map<std::string, std::string> flags_;
    std::string epilog_;
    std::map<std::string, std::vector<std::string>> values_;
    bool verbose_ = false;
};

}  // namespace examples
