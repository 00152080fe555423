// Hostile input as a user (or an attacker with write access to a file) could give it: every
// command refuses it with exit 2 and a message naming the place, never a crash or a hang.
// Every run goes through `timeout`, so a hang fails the test instead of blocking it.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"
#include "test_dir.hpp"

namespace slipway::test {
namespace {

namespace fs = std::filesystem;

class BadInputCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_test_dir("bad-input");
    fs::create_directories(dir / "migrations");
    write("migrations/001_init.sql", "CREATE TABLE t (id int);\n");
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string fifo() {
    const fs::path p = dir / "fifo";
    if (!fs::exists(p)) {
      EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0);
    }
    return p.string();
  }
  std::string oversized(std::uintmax_t size) {
    const fs::path p = dir / "big";
    std::ofstream(p) << "x";
    fs::resize_file(p, size);
    return p.string();
  }
  // The non-regular and oversized files every reader must refuse.
  std::vector<std::string> bad_files(std::uintmax_t cap) {
    return {fifo(), "/dev/zero", (dir / "migrations").string(), oversized(cap + 1)};
  }
  // `slipway args...` in the test's folder, killed after 60 s (exit 137).
  RunResult slipway(std::vector<std::string> args) {
    args.insert(args.begin(), {"timeout", "-s", "KILL", "60", slipway_binary()});
    return run(args, {}, {{"DATABASE_URL", "\x01unset"}, {"DIRECT_URL", "\x01unset"}, {"NO_COLOR", "1"}}, dir.string());
  }
  fs::path dir;
};

// Commands that read slipway.toml before doing anything else.
const std::vector<std::vector<std::string>> kConfigReaders = {{"check", "--no-database"},
                                                              {"lint", "migrations"},
                                                              {"migrate", "status", "--dir", "migrations"},
                                                              {"backup", "list"},
                                                              {"verify", "security"},
                                                              {"history"},
                                                              {"gate", "status"},
                                                              {"deploy", "--dry-run", "--version", "v1"}};

TEST_F(BadInputCli, DottedKeyWith50000PartsIsExitTwoInEveryCommandNotASegfault) {
  std::string key = "a";
  for (int i = 0; i < 49'999; ++i) key += ".a";
  write("slipway.toml", "[project]\nname = \"x\"\n" + key + " = 1\n");
  for (const auto& command : kConfigReaders) {
    auto r = slipway(command);
    EXPECT_EQ(r.exit_code, 2) << command[0] << "\n" << r.err;
    EXPECT_NE(r.err.find("slipway.toml:3:"), std::string::npos) << command[0] << "\n" << r.err.substr(0, 500);
    EXPECT_NE(r.err.find("nested more than 64 levels"), std::string::npos) << command[0];
  }
}

TEST_F(BadInputCli, ArraysAndInlineTablesNested50000DeepAreExitTwo) {
  const std::string arrays(50'000, '[');
  std::string tables;
  for (int i = 0; i < 50'000; ++i) tables += "{b=";
  for (const std::string& text : {"a = " + arrays + "\n", "a = " + tables + "1\n"}) {
    write("slipway.toml", text);
    auto r = slipway({"lint", "migrations"});
    EXPECT_EQ(r.exit_code, 2) << r.err.substr(0, 500);
    EXPECT_NE(r.err.find("slipway.toml:1:"), std::string::npos) << r.err.substr(0, 500);
  }
}

// `project.env_file = "/dev/zero"` read forever, memory growing at 80 MB/s; a directory was
// silently ignored; a FIFO blocked on open.
TEST_F(BadInputCli, EnvFileThatIsNotARegularFileIsExitTwoNamingThePath) {
  for (const std::string& bad : bad_files(16u << 20)) {
    write("slipway.toml", "[project]\nenv_file = \"" + bad + "\"\n");
    for (const auto& command : kConfigReaders) {
      auto r = slipway(command);
      EXPECT_EQ(r.exit_code, 2) << bad << " " << command[0] << "\n" << r.err;
      EXPECT_NE(r.err.find(bad), std::string::npos) << bad << " " << command[0] << "\n" << r.err;
    }
    fs::remove(dir / "slipway.toml");
    auto flag = slipway({"lint", "migrations", "--env-file", bad});
    EXPECT_EQ(flag.exit_code, 2) << bad << "\n" << flag.err;
    EXPECT_NE(flag.err.find(bad), std::string::npos) << flag.err;
  }
}

TEST_F(BadInputCli, ConfigThatIsNotARegularFileIsExitTwoNamingThePath) {
  for (const std::string& bad : bad_files(16u << 20)) {
    for (const auto& command : kConfigReaders) {
      auto args = command;
      args.insert(args.end(), {"--config", bad});
      auto r = slipway(args);
      EXPECT_EQ(r.exit_code, 2) << bad << " " << command[0] << "\n" << r.err;
      EXPECT_NE(r.err.find(bad), std::string::npos) << bad << " " << command[0] << "\n" << r.err;
    }
  }
}

// The gate reads its JWT key before it listens: a FIFO or /dev/zero there hung it at start.
TEST_F(BadInputCli, KeyFileThatIsNotARegularFileIsExitTwoNamingThePath) {
  for (const std::string key : {"jwt_public_key", "jwks_file"}) {
    for (const std::string& bad : bad_files(1u << 20)) {
      write("slipway.toml", "[gate]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n[gate.admin]\n" + key +
                                " = \"" + bad + "\"\n");
      auto r = slipway({"gate", "run"});
      EXPECT_EQ(r.exit_code, 2) << key << " " << bad << "\n" << r.err;
      EXPECT_NE(r.err.find(bad), std::string::npos) << key << " " << bad << "\n" << r.err;
    }
  }
}

// The same malformed URL was exit 2 from `backup create` and exit 3 from `lint`.
TEST_F(BadInputCli, MalformedDatabaseUrlIsExitTwoInEveryCommand) {
  write("slipway.toml", "[verify.integrity]\ntables = [\"t\"]\n");
  const std::vector<std::vector<std::string>> commands = {
      {"check", "--only", "database"},
      {"lint", "migrations"},
      {"migrate", "status", "--dir", "migrations"},
      {"migrate", "plan", "--dir", "migrations"},
      {"migrate", "apply", "--dir", "migrations"},
      {"backup", "create"},
      {"verify", "integrity"},
  };
  for (const std::string url :
       {"postgresql://[bad", "postgres://host:notaport/db", "http://x", "postgresql://app:pw@127.0.0.1:99999/x"}) {
    for (auto args : commands) {
      args.insert(args.end(), {"--database", url});
      auto r = slipway(args);
      EXPECT_EQ(r.exit_code, 2) << url << " " << args[0] << " " << args[1] << "\n" << r.out << r.err;
      EXPECT_NE(r.err.find("malformed database URL"), std::string::npos) << url << " " << args[0] << "\n" << r.err;
    }
  }
  // Well formed but nobody listens: an environment failure, exit 3, from each of them.
  for (auto args : commands) {
    args.insert(args.end(), {"--database", "postgresql://app@127.0.0.1:1/x"});
    auto r = slipway(args);
    EXPECT_EQ(r.exit_code, 3) << args[0] << " " << args[1] << "\n" << r.out << r.err;
  }
}

}  // namespace
}  // namespace slipway::test

namespace slipway::test {
namespace {

// `slipway check` and `slipway lint` passed a slipway.toml whose [verify] was wrong; the deploy
// found it only at its verify phase.
TEST_F(BadInputCli, VerifySectionErrorsStopEveryCommand) {
  write("slipway.toml", "[project]\nname = \"x\"\n[verify.perf]\nconnections = \"eight\"\n");
  for (const auto& command : kConfigReaders) {
    auto r = slipway(command);
    EXPECT_EQ(r.exit_code, 2) << command[0] << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("slipway.toml:4:"), std::string::npos) << command[0] << "\n" << r.err;
    EXPECT_NE(r.err.find("1 problem in the configuration"), std::string::npos) << command[0] << "\n" << r.err;
  }
}

// slipway.toml is parsed once and [verify] read from that document: each problem is reported
// once, at its place, with its suggestion, by every command.
TEST_F(BadInputCli, AVerifyProblemIsReportedOnceByEveryCommand) {
  for (const char* text : {"[verify]\nbase_url = \"http://127.0.0.1:1\"\ntimout = \"5s\"\n",
                           "[verify]\nbase_url = \"http://127.0.0.1:1\"\ntimeout = 5\n"}) {
    write("slipway.toml", text);
    for (const auto& command : kConfigReaders) {
      auto r = slipway(command);
      EXPECT_EQ(r.exit_code, 2) << command[0] << "\n" << r.out << r.err;
      const auto at = r.err.find("slipway.toml:3:");
      EXPECT_NE(at, std::string::npos) << command[0] << "\n" << r.err;
      EXPECT_EQ(r.err.find("slipway.toml:3:", at + 1), std::string::npos) << command[0] << "\n" << r.err;
      EXPECT_NE(r.err.find("1 problem in the configuration"), std::string::npos) << command[0] << "\n" << r.err;
    }
  }
  EXPECT_NE(slipway({"check", "--no-database"}).err.find("timeout must be a duration such as \"10s\""),
            std::string::npos);
  write("slipway.toml", "[verify]\nbase_url = \"http://127.0.0.1:1\"\ntimout = \"5s\"\n");
  EXPECT_NE(slipway({"check", "--no-database"}).err.find("unknown key 'verify.timout', did you mean 'timeout'?"),
            std::string::npos);
}

}  // namespace
}  // namespace slipway::test
