// The secret scanner, on lines and on a real git repository made in the test.
#include <gtest/gtest.h>

#include "check/scan.hpp"
#include "support.hpp"

namespace slipway::check {
namespace {

// Fake secrets, made to look real to the detectors.
const std::string kAws = std::string("AKIA") + "Z7Q2M4T6V8X0B3N5";
const std::string kGithub = std::string("ghp_") + "Zq8vN3xR7mK2pL9wT4yB6cH1jF5dG0sAq8vN";
const std::string kPem =
    std::string("-----BEGIN RSA ") + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAz7Q2M4T6\n-----END RSA PRIVATE KEY-----\n";
const std::string kPassword = "Xk9pLq2vRw";
const std::string kEntropy = "Zq8vN3xR7mK2pL9wT4yB6cH1jF5dG0sA";

std::vector<std::string> rules(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.rule);
  return out;
}

std::vector<Finding> line(std::string_view text) {
  return scan_line(text, "f", 1, EntropyLimits{});
}

TEST(ScanLine, Detectors) {
  EXPECT_EQ(rules(line("aws_key = \"" + kAws + "\"")), (std::vector<std::string>{"aws-access-key"}));
  EXPECT_EQ(rules(line("token: " + kGithub)), (std::vector<std::string>{"github-token"}));
  EXPECT_EQ(rules(line(std::string("-----BEGIN OPENSSH ") + "PRIVATE KEY-----")),
            (std::vector<std::string>{"private-key"}));
  EXPECT_EQ(rules(line("SLACK=xoxb-1234567890-abcdefghij")), (std::vector<std::string>{"slack-token"}));
  EXPECT_EQ(rules(line(std::string("k = 'sk_live_") + "4eC39HqLyjWDarjtT1zdp7dc'")),
            (std::vector<std::string>{"stripe-live-key"}));
  EXPECT_EQ(rules(line("  \"type\": \"service_account\",")), (std::vector<std::string>{"gcp-service-account"}));
  EXPECT_EQ(rules(line("url = 'postgresql://loans:" + kPassword + "@db.internal:5432/loans'")),
            (std::vector<std::string>{"url-password"}));
  EXPECT_EQ(rules(line("const jwtSecret = 's3cr3t-Jwt-2024!';")), (std::vector<std::string>{"jwt-secret"}));
  EXPECT_EQ(rules(line("DB_PASSWORD=Tr0ub4dor&3")), (std::vector<std::string>{"secret-assignment"}));
  EXPECT_EQ(rules(line("UPSTREAM_ID=" + kEntropy)), (std::vector<std::string>{"high-entropy-string"}));
  EXPECT_EQ(
      rules(line(
          "auth: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")),
      (std::vector<std::string>{"jwt-token"}));
}

TEST(ScanLine, CleanLinesGiveNothing) {
  for (auto text : {"const secret = process.env.JWT_SECRET;", "DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/loans",
                    "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/dev", "JWT_SECRET=changeme",
                    "REQUEST_ID=550e8400-e29b-41d4-a716-446655440000", "const TOKEN_HEADER = 'Authorization';",
                    "\"integrity\": \"sha512-Zq8vN3xR7mK2pL9wT4yB6cH1jF5dG0sAq8vN3xR7mK2pL9wT4yB6\"",
                    "if (a == b) return;", "PASSWORD=", "See https://example.com/docs for AKIA keys"}) {
    EXPECT_TRUE(line(text).empty()) << text << " -> " << (line(text).empty() ? "" : line(text)[0].rule);
  }
}

TEST(ScanLine, MasksAndFingerprints) {
  const auto f = line("AWS=" + kAws);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].masked, "AKIA…");
  EXPECT_EQ(f[0].fingerprint.size(), 12u);
  EXPECT_EQ(mask("abcdef"), "ab…");  // short secrets show at most a third
  EXPECT_EQ(line("AWS=" + kAws)[0].fingerprint, f[0].fingerprint);
}

TEST(ScanLine, Globs) {
  EXPECT_TRUE(glob_match("*.lock", "deep/dir/Cargo.lock"));
  EXPECT_TRUE(glob_match("test/fixtures/**", "test/fixtures/a/b.json"));
  EXPECT_TRUE(glob_match("src/**/*.pem", "src/a/b/key.pem"));
  EXPECT_TRUE(glob_match("src/**/*.pem", "src/key.pem"));
  EXPECT_FALSE(glob_match("src/*.pem", "src/a/key.pem"));
  EXPECT_TRUE(is_env_file("app/.env.production"));
  EXPECT_TRUE(is_env_file(".env"));
  EXPECT_FALSE(is_env_file(".env.example"));
  EXPECT_FALSE(is_env_file("src/env.ts"));
}

std::vector<const Check*> all(const Report& r, std::string_view id) {
  std::vector<const Check*> out;
  for (const auto& c : r.checks()) {
    if (c.id == id) out.push_back(&c);
  }
  return out;
}

TEST(ScanRepository, FindsEachCommittedSecretWithFileLineAndMask) {
  testing::TempRepo repo("scan");
  repo.write("README.md", "# loans\nNothing secret here.\n");
  repo.write("config/aws.js", "// storage\nmodule.exports = { key: '" + kAws + "' };\n");
  repo.write("deploy/id_rsa", kPem);
  repo.write("src/db.js", "const a = 1;\nconst b = 2;\nconst url = 'postgresql://loans:" + kPassword +
                              "@db.internal:5432/loans';\n");
  repo.write("docker/app.env.sample", "LOG_LEVEL=info\nUPSTREAM_ID=" + kEntropy + "\n");
  repo.write(".env", "NODE_ENV=production\n");
  repo.commit("app");
  // A token committed, then deleted: still in history.
  repo.write("scripts/ci.sh", "export GH=" + kGithub + "\n");
  repo.commit("ci");
  repo.git({"rm", "-q", "scripts/ci.sh"});
  repo.commit("remove token");

  Report report;
  check_secrets(CheckSecretsConfig{}, Git(repo.work()), report);

  const Check* aws = report.find("aws-access-key");
  ASSERT_NE(aws, nullptr);
  EXPECT_EQ(aws->status, Status::fail);
  EXPECT_EQ(aws->message.rfind("config/aws.js:2: an AWS access key AKIA… [fingerprint ", 0), 0u) << aws->message;
  const Check* pem = report.find("private-key");
  ASSERT_NE(pem, nullptr);
  EXPECT_EQ(pem->message.rfind("deploy/id_rsa:1: a private key -----BEGIN RSA PRIVATE KEY-----", 0), 0u)
      << pem->message;
  const Check* url = report.find("url-password");
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(url->message.rfind("src/db.js:3: a URL with a password Xk9…", 0), 0u) << url->message;
  const Check* entropy = report.find("high-entropy-string");
  ASSERT_NE(entropy, nullptr);
  EXPECT_EQ(entropy->status, Status::warn);
  EXPECT_EQ(entropy->message.rfind("docker/app.env.sample:2: a random-looking value Zq8v…", 0), 0u);
  const Check* github = report.find("github-token");
  ASSERT_NE(github, nullptr);
  EXPECT_NE(github->message.find("scripts/ci.sh:1: a GitHub token ghp_… (added in commit "), std::string::npos)
      << github->message;
  const Check* env = report.find("env-files-ignored");
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->status, Status::fail);
  EXPECT_EQ(env->message, ".env is committed");
  EXPECT_EQ(report.find("repo-secrets"), nullptr);
  // Each secret once, and never in full.
  EXPECT_EQ(all(report, "aws-access-key").size(), 1u);
  for (const auto& c : report.checks()) {
    for (const std::string& secret : {kAws, kGithub, kPassword, kEntropy}) {
      EXPECT_EQ(c.message.find(secret), std::string::npos) << c.message;
    }
  }

  // Ignoring by path and by fingerprint.
  CheckSecretsConfig config;
  config.ignore_paths = {"config/**", "deploy/*"};
  const std::string message = url->message;
  config.ignore = {message.substr(message.find("[fingerprint ") + 13, 12)};
  Report ignored;
  check_secrets(config, Git(repo.work()), ignored);
  EXPECT_EQ(ignored.find("aws-access-key"), nullptr);
  EXPECT_EQ(ignored.find("private-key"), nullptr);
  EXPECT_EQ(ignored.find("url-password"), nullptr);
  EXPECT_NE(ignored.find("github-token"), nullptr);
  // Without history, the deleted token is not seen.
  config.history = 0;
  Report tree_only;
  check_secrets(config, Git(repo.work()), tree_only);
  EXPECT_EQ(tree_only.find("github-token"), nullptr);
}

TEST(ScanRepository, CleanRepositoryPasses) {
  testing::TempRepo repo("clean");
  repo.write("README.md", "# loans\n");
  repo.write("src/config.js", "module.exports = { secret: process.env.JWT_SECRET };\n");
  repo.write(".env.example",
             "JWT_SECRET=<strong-random-secret>\nDATABASE_URL=postgresql://user:password@localhost/loans\n");
  repo.write(".gitignore", ".env\n.env.*\n!.env.example\n");
  repo.commit("clean");
  repo.write(".env", "JWT_SECRET=" + kEntropy + "\n");  // present, but ignored

  Report report;
  check_secrets(CheckSecretsConfig{}, Git(repo.work()), report);
  ASSERT_EQ(report.checks().size(), 2u) << report.checks().front().message;
  EXPECT_EQ(report.checks()[0].id, "repo-secrets");
  EXPECT_EQ(report.checks()[0].status, Status::pass);
  EXPECT_EQ(report.checks()[0].message, "no secrets in 4 tracked files and the last 50 commits");
  EXPECT_EQ(report.checks()[1].id, "env-files-ignored");
  EXPECT_EQ(report.checks()[1].status, Status::pass);
}

TEST(ScanRepository, AProjectInASubfolderIsScannedOnItsOwn) {
  testing::TempRepo repo("subfolder");
  repo.write("other/keys.txt", "AWS=" + kAws + "\n");
  repo.write("app/src/db.js", "const url = 'postgresql://loans:" + kPassword + "@db.internal/loans';\n");
  repo.commit("two projects");
  Report report;
  check_secrets(CheckSecretsConfig{}, Git(repo.work() / "app"), report);
  EXPECT_EQ(report.find("aws-access-key"), nullptr);
  const Check* url = report.find("url-password");
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(url->message.rfind("app/src/db.js:1: ", 0), 0u) << url->message;
}

TEST(ScanRepository, UnignoredEnvFileFails) {
  testing::TempRepo repo("unignored");
  repo.write("README.md", "# loans\n");
  repo.commit("init");
  repo.write("api/.env.production", "NODE_ENV=production\n");
  Report report;
  check_secrets(CheckSecretsConfig{}, Git(repo.work()), report);
  const Check* env = report.find("env-files-ignored");
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->message, "api/.env.production is not ignored by git");
}

}  // namespace
}  // namespace slipway::check
