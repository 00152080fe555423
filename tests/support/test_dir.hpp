// A folder of its own for each test.
#pragma once

#include <filesystem>
#include <string>

namespace slipway::test {

// A fresh, empty folder for the running test, <tmp>/slipway-<prefix>-<pid>-<test name>: whatever
// an earlier run left there is removed first. The test removes it when it ends.
std::filesystem::path fresh_test_dir(const std::string& prefix);

}  // namespace slipway::test
