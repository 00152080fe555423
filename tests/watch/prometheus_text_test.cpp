// The bounded Prometheus text reader: what it reads, what it refuses (with the line), its bounds.
#include "watch/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace slipway::watch {
namespace {

TEST(PrometheusText, ReadsSamplesLabelsValuesAndTypes) {
  const auto text = parse_prometheus_text(
      "# HELP slipway_gate_requests_total Requests answered.\n"
      "# TYPE slipway_gate_requests_total counter\n"
      "slipway_gate_requests_total{mode=\"normal\",status=\"200\"} 412\n"
      "slipway_gate_requests_total{ mode = \"normal\" , status=\"503\", } 3 1733622821000\r\n"
      "\n"
      "latency_bucket{le=\"+Inf\",path=\"a\\\"b\\\\c\\nd\"} +Inf\n"
      "odd:name_total 1.5e3\n"
      "gauge NaN\n"
      "neg -Inf\n");
  ASSERT_TRUE(text) << text.error().message;
  ASSERT_EQ(text->types.size(), 1u);
  EXPECT_EQ(text->types[0], (std::pair<std::string, std::string>{"slipway_gate_requests_total", "counter"}));
  ASSERT_EQ(text->samples.size(), 6u);
  const auto& s = text->samples;
  EXPECT_EQ(s[0].name, "slipway_gate_requests_total");
  EXPECT_EQ(s[0].label("status"), "200");
  EXPECT_EQ(s[0].label("absent"), "");
  EXPECT_EQ(s[0].value, 412);
  EXPECT_EQ(s[1].labels.size(), 2u);
  EXPECT_EQ(s[1].label("status"), "503");
  EXPECT_EQ(s[1].value, 3);
  EXPECT_EQ(s[2].label("path"), "a\"b\\c\nd");
  EXPECT_TRUE(std::isinf(s[2].value) && s[2].value > 0);
  EXPECT_EQ(s[3].name, "odd:name_total");
  EXPECT_EQ(s[3].value, 1500);
  EXPECT_TRUE(std::isnan(s[4].value));
  EXPECT_TRUE(std::isinf(s[5].value) && s[5].value < 0);
}

TEST(PrometheusText, KeepsOnlyTheNamesAskedFor) {
  const auto text =
      parse_prometheus_text("a 1\nb{x=\"1\"} 2\nc 3\n", [](std::string_view name) { return name != "b"; });
  ASSERT_TRUE(text);
  ASSERT_EQ(text->samples.size(), 2u);
  EXPECT_EQ(text->samples[1].name, "c");
}

TEST(PrometheusText, AMalformedLineFailsWithItsNumber) {
  const std::pair<const char*, const char*> cases[] = {
      {"ok 1\n{le=\"1\"} 2\n", "line 2: a sample does not start with a metric name"},
      {"a{le=1} 2\n", "line 1: label le has no quoted value"},
      {"a{le=\"1} 2\n", "line 1: label le has no quoted value"},
      {"a{le \"1\"} 2\n", "line 1: label le has no '='"},
      {"a{x=\"1\" y=\"2\"} 2\n", "line 1: labels are not separated by ','"},
      {"a{=\"1\"} 2\n", "line 1: a label name is missing or malformed"},
      {"a\n", "line 1: a sample has no value"},
      {"a{x=\"1\"}\n", "line 1: a sample has no value"},
      {"a one\n", "line 1: \"one\" is not a number"},
      {"a 1 soon\n", "line 1: the timestamp is not an integer"},
      {"a 1 2 3\n", "line 1: text after the timestamp"},
      {"<html>\n", "line 1: a sample does not start with a metric name"},
  };
  for (const auto& [input, message] : cases) {
    const auto text = parse_prometheus_text(input);
    ASSERT_FALSE(text) << input;
    EXPECT_EQ(text.error().message, message) << input;
    EXPECT_EQ(text.error().kind, ErrorKind::bad_input);
  }
}

TEST(PrometheusText, BoundsLinesSeriesAndLabels) {
  PromLimits limits;
  limits.max_line = 32;
  limits.max_series = 3;
  limits.max_labels = 2;
  auto text = parse_prometheus_text("a 1\n" + std::string(40, '#') + "\n", {}, limits);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "line 2: longer than 32 bytes");
  // Series count whether kept or not: a huge endpoint cannot make the reader work without end.
  text = parse_prometheus_text(
      "# TYPE a counter\na 1\nb 2\nc 3\n", [](std::string_view) { return false; }, limits);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "line 4: more than 3 series");
  text = parse_prometheus_text("a{x=\"1\",y=\"2\",z=\"3\"} 1\n", {}, limits);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "line 1: more than 2 labels");
  text = parse_prometheus_text("# just a comment\n# HELP a b\na{x=\"1\",y=\"2\"} 1\nb 2\nc 3\n", {}, limits);
  EXPECT_TRUE(text) << text.error().message;
}

TEST(PrometheusText, ReadsValuesAsGoParsesThem) {
  for (const auto& [input, expected] : std::initializer_list<std::pair<const char*, double>>{
           {"0", 0}, {"0.25", 0.25}, {"1e3", 1000}, {"-2.5", -2.5}, {"+7", 7}, {".5", 0.5}}) {
    double v = -1;
    EXPECT_TRUE(parse_prometheus_value(input, v)) << input;
    EXPECT_EQ(v, expected) << input;
  }
  double v = 0;
  for (const char* bad : {"", "+", "abc", "1x", "--1", "0x10"}) EXPECT_FALSE(parse_prometheus_value(bad, v)) << bad;
}

}  // namespace
}  // namespace slipway::watch
