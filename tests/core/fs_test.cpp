// read_text_file is where every file Slipway reads whole is opened: regular files only, with a cap.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/env.hpp"
#include "core/fs.hpp"
#include "test_dir.hpp"

namespace slipway {
namespace {

namespace fs = std::filesystem;

class ReadFile : public ::testing::Test {
 protected:
  void SetUp() override { dir = test::fresh_test_dir("fs-test"); }
  void TearDown() override { fs::remove_all(dir); }
  fs::path fifo() {
    const fs::path p = dir / "fifo";
    EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0);
    return p;
  }
  fs::path sparse(std::uintmax_t size) {
    const fs::path p = dir / "big";
    std::ofstream(p) << "x";
    fs::resize_file(p, size);
    return p;
  }
  fs::path dir;
};

TEST_F(ReadFile, ReadsARegularFile) {
  std::ofstream(dir / "a.txt") << "hello\n";
  auto text = read_text_file(dir / "a.txt");
  ASSERT_TRUE(text) << text.error().render();
  EXPECT_EQ(*text, "hello\n");
}

// Opening a FIFO for reading blocks until a writer comes; /dev/zero never ends. Both hung every
// command that read them.
TEST_F(ReadFile, FifoDeviceAndDirectoryAreInputErrorsNotHangs) {
  for (const fs::path& p : {fifo(), fs::path("/dev/zero"), dir}) {
    auto text = read_text_file(p);
    ASSERT_FALSE(text) << p;
    EXPECT_EQ(text.error().kind, ErrorKind::bad_input);
    EXPECT_EQ(text.error().where, p.string());
    EXPECT_NE(text.error().message.find("not a regular file"), std::string::npos) << text.error().message;
    EXPECT_FALSE(text.error().hint.empty());
  }
}

TEST_F(ReadFile, FileOverTheCapIsAnInputError) {
  const fs::path big = sparse(1025);
  auto text = read_text_file(big, 1024);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(text.error().where, big.string());
  EXPECT_NE(text.error().message.find("larger than"), std::string::npos) << text.error().message;
  EXPECT_TRUE(read_text_file(sparse(1024), 1024));
}

TEST_F(ReadFile, MissingFileNamesThePath) {
  auto text = read_text_file(dir / "none");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(text.error().where, (dir / "none").string());
}

// `project.env_file = "/dev/zero"` read forever while memory grew; a directory was silently
// ignored. Both, and a FIFO and an oversized file, are errors naming the path.
TEST_F(ReadFile, EnvFileThatIsNotARegularFileIsAnError) {
  for (const fs::path& p : {fifo(), fs::path("/dev/zero"), dir, sparse(kMaxConfigFileBytes + 1)}) {
    auto values = load_env_file(p.string());
    ASSERT_FALSE(values) << p;
    EXPECT_EQ(values.error().where, p.string());
    auto config =
        parse_config("[project]\nenv_file = \"" + p.string() + "\"\n", dir / "slipway.toml", Environment({}, false));
    ASSERT_FALSE(config) << p;
    EXPECT_EQ(config.error().at(0).kind, ErrorKind::bad_input);
    EXPECT_EQ(config.error().at(0).where, p.string());
  }
}

TEST_F(ReadFile, ConfigThatIsNotARegularFileIsAnError) {
  for (const fs::path& p : {fifo(), fs::path("/dev/zero"), dir, sparse(kMaxConfigFileBytes + 1)}) {
    auto config = load_config(p, Environment({}, false));
    ASSERT_FALSE(config) << p;
    EXPECT_EQ(config.error().at(0).kind, ErrorKind::bad_input);
    EXPECT_EQ(config.error().at(0).where, p.string());
  }
}

}  // namespace
}  // namespace slipway
