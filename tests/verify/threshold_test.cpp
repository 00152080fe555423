#include "verify/threshold.hpp"

#include <gtest/gtest.h>

namespace slipway::verify {
namespace {

Threshold parse(std::string_view text) {
  auto t = parse_threshold(text);
  EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error().message);
  return t ? *t : Threshold{};
}

TEST(Threshold, ParsesK6Syntax) {
  auto t = parse("p(95) < 500ms");
  EXPECT_EQ(t.stat, Threshold::Stat::percentile);
  EXPECT_DOUBLE_EQ(t.percent, 95);
  EXPECT_EQ(t.op, Threshold::Op::lt);
  EXPECT_DOUBLE_EQ(t.limit, 500'000);

  t = parse("p(99.9)<=1s");
  EXPECT_DOUBLE_EQ(t.percent, 99.9);
  EXPECT_EQ(t.op, Threshold::Op::le);
  EXPECT_DOUBLE_EQ(t.limit, 1'000'000);

  t = parse("avg<200");  // a bare number is milliseconds, as in k6
  EXPECT_EQ(t.stat, Threshold::Stat::avg);
  EXPECT_DOUBLE_EQ(t.limit, 200'000);

  t = parse("rate(errors) < 0.05");
  EXPECT_EQ(t.stat, Threshold::Stat::rate);
  EXPECT_DOUBLE_EQ(t.limit, 0.05);

  t = parse("rate < 5%");
  EXPECT_DOUBLE_EQ(t.limit, 0.05);

  t = parse("  < 1s ");  // no statistic: every request, i.e. the maximum
  EXPECT_EQ(t.stat, Threshold::Stat::max);
  EXPECT_DOUBLE_EQ(t.limit, 1'000'000);

  t = parse("count >= 100");
  EXPECT_EQ(t.stat, Threshold::Stat::count);
  EXPECT_EQ(t.op, Threshold::Op::ge);

  EXPECT_DOUBLE_EQ(parse("max < 250us").limit, 250);
  EXPECT_DOUBLE_EQ(parse("med < 2m").limit, 120'000'000);
}

TEST(Threshold, ErrorsSayWhereAndWhat) {
  struct Case {
    std::string_view text;
    std::size_t column;
    std::string_view message;
  };
  for (const auto& c :
       {Case{"", 1, "empty threshold"}, Case{"p95 < 1s", 1, "unknown statistic \"p95\""},
        Case{"p(101) < 1s", 3, "percentile between 0 and 100"}, Case{"p(95 < 1s", 6, "expected \")\""},
        Case{"avg 200", 5, "expected a comparison"}, Case{"avg < fast", 7, "non-negative number"},
        Case{"avg < 200 hours", 11, "unknown unit \"hours\""}, Case{"rate(timeouts) < 1", 6, "unknown rate"},
        Case{"rate < 2", 9, "at most 1"}, Case{"p(95) < 1s and more", 12, "unexpected text"}}) {
    const auto t = parse_threshold(c.text);
    ASSERT_FALSE(t.has_value()) << c.text;
    EXPECT_EQ(t.error().column, c.column) << c.text;
    EXPECT_NE(t.error().message.find(c.message), std::string::npos) << c.text << ": " << t.error().message;
  }
}

TEST(Threshold, EvaluatesAgainstAMeasuredRun) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);  // 1 ms .. 1 s
  const Observed run{&h, 1000, 20, 10.0};

  auto v = evaluate(parse("p(95) < 500ms"), run);
  EXPECT_FALSE(v.pass);
  EXPECT_NEAR(v.actual, 950.0, 1.0);
  EXPECT_NE(v.message.find("p(95) = 950"), std::string::npos) << v.message;

  // Percentiles report the top of their bucket (at most 0.1 % high), so a budget is never met by rounding down.
  EXPECT_FALSE(evaluate(parse("p(50) <= 499ms"), run).pass);
  EXPECT_TRUE(evaluate(parse("p(50) <= 501ms"), run).pass);
  EXPECT_TRUE(evaluate(parse("rate(errors) < 0.05"), run).pass);
  EXPECT_FALSE(evaluate(parse("rate(errors) < 1%"), run).pass);
  EXPECT_TRUE(evaluate(parse("rps >= 100"), run).pass);
  EXPECT_FALSE(evaluate(parse("rps > 100"), run).pass);
  EXPECT_FALSE(evaluate(parse("< 1s"), run).pass);  // the slowest took exactly 1 s
  EXPECT_TRUE(evaluate(parse("<= 1s"), run).pass);
}

// "count = 1.23457e+06, budget > 2e+06": {:g} switches to an exponent past six digits.
TEST(Threshold, LargeNumbersInMessagesAreNotInScientificNotation) {
  Histogram h;
  h.record(1000);
  const Observed run{&h, 1'234'567, 0, 10.0};
  const auto count = evaluate(parse("count > 2000000"), run);
  EXPECT_EQ(count.message, "count = 1234567, budget > 2000000");
  const auto rps = evaluate(parse("rps > 1000000"), run);
  EXPECT_EQ(rps.message, "rps = 123456.7, budget > 1000000");
  const auto latency = evaluate(parse("p(99) < 2000s"), run);
  EXPECT_EQ(latency.message.find("e+"), std::string::npos) << latency.message;
}

TEST(Threshold, AnEmptyRunMeetsNoLatencyBudget) {
  const Histogram h;
  const auto v = evaluate(parse("p(95) < 500ms"), Observed{&h, 0, 0, 1.0});
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("no requests"), std::string::npos);
}

}  // namespace
}  // namespace slipway::verify
