// [verify] is read by verify/settings.cpp with core's ConfigReader, from the document load_config
// parsed: slipway.toml is read and parsed once, and each problem is reported once, at its place.
#include "verify/settings.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "test_dir.hpp"

namespace slipway::verify {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class VerifySettingsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::fresh_test_dir("verify-settings"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  Config load(const std::string& text) {
    auto c = load_config(write("slipway.toml", text), Environment({}, false));
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().front().render());
    return c ? *c : Config{};
  }
  // Every error of load_verify_settings, one rendered line each.
  std::string errors(const Config& config) {
    auto s = load_verify_settings(config);
    EXPECT_FALSE(s.has_value());
    std::string all;
    if (!s)
      for (const auto& e : s.error()) all += e.render() + "\n";
    return all;
  }
  fs::path dir_;
};

// The second reading of slipway.toml is gone: what load_config parsed is what verify reads, even
// when the file has changed or gone since.
TEST_F(VerifySettingsTest, ReadsVerifyFromTheDocumentLoadConfigParsedNotTheFileAgain) {
  Config config =
      load("[verify]\ntimeout = \"3s\"\n[[verify.flow]]\nname = \"home\"\n[[verify.flow.step]]\nurl = \"/\"\n");
  ASSERT_TRUE(config.document);
  fs::remove(config.file);
  auto s = load_verify_settings(config);
  ASSERT_TRUE(s.has_value()) << s.error().front().render();
  EXPECT_EQ(s->timeout, 3s);
  ASSERT_EQ(s->flows.size(), 1U);
  EXPECT_EQ(s->flows[0].name, "home");
  EXPECT_EQ(s->flows[0].where, (dir_ / "slipway.toml").string() + ":3:1");
}

TEST_F(VerifySettingsTest, DefaultsWithoutAConfigFile) {
  auto s = load_verify_settings(default_config(dir_));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->timeout, 10s);
  EXPECT_FALSE(s->any_part_configured());
}

// A problem only verify knows (core accepts the key) is reported once, at its file:line:col.
TEST_F(VerifySettingsTest, AVerifyErrorIsReportedOnceAtItsPosition) {
  Config config = load("[project]\nname = \"x\"\n[verify.perf]\nconnections = \"eight\"\n");
  EXPECT_EQ(errors(config),
            (dir_ / "slipway.toml").string() + ":4:15: connections must be an integer from 1 to 100000\n");
}

// An unknown key in [verify] is core's to report, with the rest of the file and its suggestion.
TEST_F(VerifySettingsTest, AnUnknownVerifyKeyIsReportedByLoadConfigWithItsSuggestion) {
  auto c = load_config(write("slipway.toml", "[verify]\nbase_url = \"http://127.0.0.1:1\"\ntimout = \"5s\"\n"),
                       Environment({}, false));
  ASSERT_FALSE(c.has_value());
  ASSERT_EQ(c.error().size(), 1U);
  EXPECT_EQ(c.error()[0].where, (dir_ / "slipway.toml").string() + ":3:1");
  EXPECT_EQ(c.error()[0].message, "unknown key 'verify.timout', did you mean 'timeout'?");
}

// [verify] and flow files keep their own wording (the key alone), and a lone string is a list of one.
TEST_F(VerifySettingsTest, MessagesNameTheKeyAlone) {
  Config config = load(
      "[verify]\ntimeout = 5\ninsecure = \"yes\"\nca_file = 1\n[verify.perf]\nrate = -1\n[verify.integrity]\n"
      "tables = [1]\n[verify.security]\nskip = \"header-hsts\"\n");
  const std::string file = (dir_ / "slipway.toml").string();
  EXPECT_EQ(errors(config), file + ":2:11: timeout must be a duration such as \"10s\"\n" + file +
                                ":4:11: ca_file must be a string\n  hint: quote it: ca_file = \"...\"\n" + file +
                                ":3:12: insecure must be true or false\n" + file +
                                ":6:8: rate must be a number, 0 or more\n" + file +
                                ":8:11: tables must hold strings only\n");
  config = load("[verify]\nperf = 1\n[verify.security]\nskip = \"header-hsts\"\n");
  EXPECT_EQ(errors(config), file + ":2:8: verify.perf must be a table\n");
  config = load("[verify.security]\nskip = \"header-hsts\"\n");
  auto s = load_verify_settings(config);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->security.skip, std::vector<std::string>{"header-hsts"});
}

// A recorded copy (--verify-config) is another file: it is read, once, and its errors name it.
TEST_F(VerifySettingsTest, ARecordedCopyIsReadFromItsOwnFile) {
  Config config = load("[verify]\ntimeout = \"3s\"\n");
  config.verify_file = write("copy.toml", "[verify]\ntimeout = \"7s\"\n");
  auto s = load_verify_settings(config);
  ASSERT_TRUE(s.has_value()) << s.error().front().render();
  EXPECT_EQ(s->timeout, 7s);
  write("copy.toml", "[verify]\n\ntimeout = \"soon\"\n");
  EXPECT_NE(errors(config).find((dir_ / "copy.toml").string() + ":3:11: timeout: "), std::string::npos);
}

// A recorded copy nested past the depth bound is an error naming it and the bound. It used to read
// as a copy without [verify], so verify said "nothing to verify" and not what was wrong.
TEST_F(VerifySettingsTest, ARecordedCopyNestedTooDeepIsAnErrorNotAnEmptyVerify) {
  Config config = load("[verify]\nbase_url = \"http://127.0.0.1:1\"\n");
  config.verify_file = write("copy.toml", "x = " + std::string(200, '[') + std::string(200, ']') + "\n");
  const std::string all = errors(config);
  EXPECT_NE(all.find((dir_ / "copy.toml").string()), std::string::npos) << all;
  EXPECT_NE(all.find("nest"), std::string::npos) << all;
}

// At a flow file's top level the key is named alone: "flow must ...", where it read ".flow".
TEST(FlowFile, AFlowThatIsNotATableArrayIsNamedWithoutAStrayDot) {
  auto flows = parse_flow_file("flow = 1\n", "flows.toml");
  ASSERT_FALSE(flows.has_value());
  EXPECT_EQ(flows.error().front().render().find(".flow"), std::string::npos) << flows.error().front().render();
  EXPECT_NE(flows.error().front().render().find("flows.toml:1:8: flow must be an array of tables"), std::string::npos)
      << flows.error().front().render();
}

}  // namespace
}  // namespace slipway::verify
