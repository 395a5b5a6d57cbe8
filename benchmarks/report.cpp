#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace bench {

void row::record(const std::string& metric, double value) {
    for (auto& [name, values] : metrics) {
        if (name == metric) {
            values.push_back(value);
            return;
        }
    }
    metrics.push_back({metric, {value}});
}

const std::vector<double>* row::values(const std::string& metric) const {
    for (const auto& [name, v] : metrics)
        if (name == metric) return &v;
    return nullptr;
}

std::optional<double> row::median(const std::string& metric) const {
    if (const auto* v = values(metric)) return summarize(*v).median;
    return std::nullopt;
}

std::optional<std::string> row::param(const std::string& key) const {
    for (const auto& [k, v] : params)
        if (k == key) return v;
    return std::nullopt;
}

std::string row::params_text() const {
    std::string text;
    for (const auto& [k, v] : params) text += (text.empty() ? "" : " ") + (v.empty() ? k : k + "=" + v);
    return text;
}

std::string row::label() const {
    std::string text = benchmark;
    for (const auto& [k, v] : params) {
        if (k == "msgs" || k == "round_trips" || k == "msgs_per_publisher" || k == "n") continue;
        text += " " + (v.empty() ? k : v);
    }
    return text;
}

row& report::at(const std::string& benchmark, const params& p, const std::string& variant, const std::string& headline,
                bool higher_is_better) {
    for (auto& r : rows_)
        if (r.benchmark == benchmark && r.params == p && r.variant == variant) return r;
    return rows_.push_back({benchmark, p, variant, headline, higher_is_better, {}}), rows_.back();
}

const row* report::find(const std::function<bool(const row&)>& match) const {
    for (const auto& r : rows_)
        if (match(r)) return &r;
    return nullptr;
}

const row* report::baseline_of(const row& r) const {
    return find([&](const row& b) { return b.benchmark == r.benchmark && b.params == r.params; });
}

std::optional<double> report::ratio(const row& r) const {
    const row* base = baseline_of(r);
    if (!base || base == &r) return std::nullopt;
    const std::vector<double>* ours = r.values(r.headline);
    const std::vector<double>* theirs = base->values(base->headline);
    if (!ours || !theirs) return std::nullopt;
    return paired_ratio(*ours, *theirs);
}

std::string human(double v) {
    char buf[32];
    const double a = std::fabs(v);
    if (a >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
    else if (a >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
    else if (a >= 1e4)
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    else if (a >= 100)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

void report::print(std::ostream& out) const {
    const row* group = nullptr;
    for (const auto& r : rows_) {
        if (!group || group->benchmark != r.benchmark || group->params != r.params) {
            group = &r;
            out << "\n" << r.benchmark << "  " << r.params_text() << "\n";
        }
        out << "  " << std::left << std::setw(12) << r.variant << std::right;
        for (const auto& [name, values] : r.metrics) {
            const summary s = summarize(values);
            out << "  " << name << " " << human(s.median);
            if (values.size() > 1) out << " [" << human(s.min) << ".." << human(s.max) << "]";
        }
        if (const auto x = ratio(r))
            out << "  = " << std::fixed << std::setprecision(2) << *x << std::defaultfloat << " x " << group->variant
                << " (" << r.headline << ")";
        out << "\n";
    }
    if (targets_.empty()) return;
    out << "\ntargets\n";
    for (const auto& t : targets_)
        out << "  " << (t.met ? "met " : "MISS") << "  " << t.name << ": " << std::setprecision(4) << t.value
            << std::defaultfloat << " (" << t.bound << ")\n";
}

namespace {

std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        q += c;
    }
    return q + "\"";
}

std::string number(double v) {
    if (!std::isfinite(v)) return "null";
    std::ostringstream o;
    o << std::setprecision(10) << v;
    return o.str();
}

}  // namespace

void report::write_json(std::ostream& out, const std::map<std::string, std::string>& machine, int repeat) const {
    out << "{\n  \"tool\": \"zring-bench\",\n  \"repeat\": " << repeat << ",\n  \"machine\": {";
    const char* sep = "";
    for (const auto& [k, v] : machine) {
        out << sep << quoted(k) << ": " << quoted(v);
        sep = ", ";
    }
    out << "},\n  \"results\": [";
    sep = "\n";
    for (const auto& r : rows_) {
        out << sep << "    {\"benchmark\": " << quoted(r.benchmark) << ", \"params\": {";
        const char* psep = "";
        for (const auto& [k, v] : r.params) {
            out << psep << quoted(k) << ": " << quoted(v);
            psep = ", ";
        }
        out << "}, \"variant\": " << quoted(r.variant) << ", \"baseline\": " << quoted(baseline_of(r)->variant)
            << ", \"headline\": " << quoted(r.headline)
            << ", \"higher_is_better\": " << (r.higher_is_better ? "true" : "false");
        if (const auto x = ratio(r)) out << ", \"ratio_to_baseline\": " << number(*x);
        out << ", \"metrics\": {";
        const char* msep = "";
        for (const auto& [name, values] : r.metrics) {
            const summary s = summarize(values);
            out << msep << quoted(name) << ": {\"median\": " << number(s.median) << ", \"min\": " << number(s.min)
                << ", \"max\": " << number(s.max) << ", \"runs\": [";
            for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << number(values[i]);
            out << "]}";
            msep = ", ";
        }
        out << "}}";
        sep = ",\n";
    }
    out << "\n  ],\n  \"targets\": [";
    sep = "\n";
    for (const auto& t : targets_) {
        out << sep << "    {\"name\": " << quoted(t.name) << ", \"value\": " << number(t.value)
            << ", \"bound\": " << quoted(t.bound) << ", \"met\": " << (t.met ? "true" : "false") << "}";
        sep = ",\n";
    }
    out << "\n  ]\n}\n";
}

void report::write_tsv(std::ostream& out) const {
    out << "label\tbenchmark\tparams\tvariant\tbaseline\trelative_speed\n";
    for (const auto& r : rows_) {
        const auto x = ratio(r);
        if (!x || *x == 0) continue;
        out << r.label() << '\t' << r.benchmark << '\t' << r.params_text() << '\t' << r.variant << '\t'
            << baseline_of(r)->variant << '\t' << number(r.higher_is_better ? *x : 1 / *x) << '\n';
    }
}

}  // namespace bench
