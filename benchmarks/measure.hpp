#pragma once
// What the benchmarks measure with: wall time, CPU time, heap and resident
// memory, and order statistics over repetitions.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

namespace bench {

using clock = std::chrono::steady_clock;

inline double seconds_between(clock::time_point start, clock::time_point end) {
    return std::chrono::duration<double>(end - start).count();
}

// User + system CPU seconds of the calling thread, or of the whole process.
double thread_cpu_seconds();
double process_cpu_seconds();

// Bytes the C heap holds for the program right now (every arena), and the
// process's resident set. Deltas of these attribute memory to what was built.
std::size_t heap_bytes_in_use();
std::size_t resident_bytes();

struct summary {
    double median = 0, min = 0, max = 0;
};
summary summarize(std::vector<double> values);

// The median of a[i] / b[i] over the repetitions i both have: repetition i
// of each ran back to back, so drift of the machine cancels. nullopt if none.
std::optional<double> paired_ratio(const std::vector<double>& a, const std::vector<double>& b);

// The p-quantile (0..1) of values sorted ascending, nearest rank.
double quantile(const std::vector<double>& sorted, double p);

}  // namespace bench
