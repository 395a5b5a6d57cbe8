#pragma once
// Skipping a test that cannot run here (an io_uring-only check where the
// kernel refuses io_uring): CTest reports it as skipped, with the reason,
// through the SKIP_REGULAR_EXPRESSION set in tests/CMakeLists.txt.

#include <iostream>
#include <string>

namespace zring_test {

inline void skip(const std::string& reason) { std::cout << "zring-test-skipped: " << reason << std::endl; }

}  // namespace zring_test
