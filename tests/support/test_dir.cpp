#include "test_dir.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

namespace slipway::test {

std::filesystem::path fresh_test_dir(const std::string& prefix) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("slipway-" + prefix + "-" + std::to_string(::getpid()) + "-" +
                                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace slipway::test
