#pragma once
// Ends zring-bench loudly if one repetition makes no progress for too long,
// so that a lost message shows as an error instead of a hang.

#include <chrono>
#include <string>

namespace bench::watchdog {

void start(std::chrono::seconds limit);
// Marks progress: the repetition now running.
void note(const std::string& what);

}  // namespace bench::watchdog
