#pragma once
// Results of one zring-bench invocation: every variant (zring and its
// baselines) under the same parameters, over repetitions, so that ratios come
// from one run. Printed as a table for people, JSON and TSV for machines.

#include "measure.hpp"

#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bench {

using params = std::vector<std::pair<std::string, std::string>>;

// One variant under one set of parameters: a series of values per metric.
struct row {
    std::string benchmark;  // "thr"
    bench::params params;   // {{"size", "16"}, {"transport", "tcp"}}
    std::string variant;    // "raw", "zring", "asio-drain", ...
    std::string headline;   // the metric ratios are taken on
    bool higher_is_better = true;
    std::vector<std::pair<std::string, std::vector<double>>> metrics;  // in the order recorded

    void record(const std::string& metric, double value);
    // Every repetition's value of a metric, in order; nullptr if never recorded.
    const std::vector<double>* values(const std::string& metric) const;
    // Median of a metric over the repetitions; nullopt if never recorded.
    std::optional<double> median(const std::string& metric) const;
    // The value of a parameter; nullopt if the row has no such parameter.
    std::optional<std::string> param(const std::string& key) const;
    std::string params_text() const;
    // "thr 16 tcp": the benchmark and its parameters' values, counts left out.
    std::string label() const;
};

// A goal zring is held to, checked against this run's numbers.
struct target {
    std::string name;
    double value = 0;
    std::string bound;  // e.g. ">= 0.95"
    bool met = false;
};

class report {
public:
    // The row for (benchmark, params, variant), created on first use. The
    // first variant of a benchmark and params is the baseline of the others.
    row& at(const std::string& benchmark, const params& p, const std::string& variant, const std::string& headline,
            bool higher_is_better);
    const std::deque<row>& rows() const { return rows_; }
    // The first row matching, or nullptr.
    const row* find(const std::function<bool(const row&)>& match) const;
    const row* baseline_of(const row& r) const;
    // r's headline over its baseline's, repetition by repetition (the
    // variants of one repetition run back to back, so drift cancels), and
    // the median of those ratios; nullopt for a baseline itself.
    std::optional<double> ratio(const row& r) const;

    void add_target(target t) { targets_.push_back(std::move(t)); }
    const std::vector<target>& targets() const { return targets_; }

    void print(std::ostream& out) const;
    void write_json(std::ostream& out, const std::map<std::string, std::string>& machine, int repeat) const;
    // One line per non-baseline row: label, benchmark, params, variant,
    // baseline, speed relative to the baseline (higher is better, whatever
    // the metric).
    void write_tsv(std::ostream& out) const;

private:
    std::deque<row> rows_;
    std::vector<target> targets_;
};

// Compact numbers for tables: 12.3M, 456k, 7.89.
std::string human(double v);

}  // namespace bench
