// Secrets never printed by the commands that take a database URL, whatever the URL looks like:
// passwords that are not percent-encoded (base64 with '/', a second '@') against a closed port.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "process.hpp"
#include "server.hpp"
#include "test_dir.hpp"

namespace slipway::test {
namespace {

namespace fs = std::filesystem;

class SecretsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_test_dir("secrets-cli");
    fs::create_directories(dir / "migrations");
    std::ofstream(dir / "migrations" / "001.sql") << "ALTER TABLE loans ADD COLUMN note text;\n";
    std::ofstream(dir / "slipway.toml") << "[project]\nname = \"loans\"\n[database]\nurl = \"${DATABASE_URL}\"\n"
                                           "[backup]\nrepository = \"backups\"\n[check]\npreset = \"none\"\n";
  }
  void TearDown() override { fs::remove_all(dir); }
  RunResult slipway(std::vector<std::string> args, const std::string& url) {
    args.insert(args.begin(), slipway_binary());
    return run(args, {}, {{"DATABASE_URL", url}, {"DIRECT_URL", "\x01unset"}, {"NO_COLOR", "1"}}, dir.string());
  }
  fs::path dir;
};

// The password and each piece of it between '/' and '@' longer than 3 characters.
std::vector<std::string> leaks(const std::string& password) {
  std::vector<std::string> out{password};
  std::size_t begin = 0;
  while (begin <= password.size()) {
    std::size_t end = password.find_first_of("/@", begin);
    if (end == std::string::npos) end = password.size();
    if (end - begin > 3) out.push_back(password.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

TEST_F(SecretsCli, UnencodedSlashOrAtInADatabasePasswordIsNeverPrinted) {
  const int port = free_port();  // nothing listens there
  for (const std::string password :
       {"abc/def", "p@ss/w@rd", "Zq9xLmno/Kt3vWpqr", "Pq7rStuv@Wx2y/Zab3cDef@Gh9iJkLm", "Hj4k/Lm5n@Op6q/Rs7tUv"}) {
    const std::string url = "postgresql://app:" + password + "@127.0.0.1:" + std::to_string(port) + "/loans";
    for (const std::string format : {"text", "json"}) {
      const std::vector<std::vector<std::string>> commands{
          {"backup", "create", "--format", format},
          {"backup", "create", "--database", url, "--format", format},
          {"lint", "migrations", "--database", url, "--format", format},
          {"lint", "migrations", "--format", format},
          {"check", "--only", "database", "--format", format},
          {"check", "--only", "database", "--database", url, "--format", format},
      };
      for (const auto& command : commands) {
        const RunResult r = slipway(command, url);
        std::string what;
        for (const auto& word : command) what += word + " ";
        EXPECT_NE(r.exit_code, 0) << what << password;  // the database is unreachable
        for (const std::string& secret : leaks(password)) {
          EXPECT_EQ(r.out.find(secret), std::string::npos) << what << "printed '" << secret << "':\n" << r.out;
          EXPECT_EQ(r.err.find(secret), std::string::npos) << what << "printed '" << secret << "':\n" << r.err;
        }
      }
    }
  }
}

}  // namespace
}  // namespace slipway::test
