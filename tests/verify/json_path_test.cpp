#include "verify/json_path.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace slipway::verify {
namespace {

const boost::json::value kDoc = boost::json::parse(R"({
  "data": [{"id": 7, "name": "Ada"}, {"id": 8, "name": "Grace"}],
  "a/b": {"m~n": true},
  "total": "12.50",
  "empty": []
})");

std::vector<std::string> select(std::string_view path) {
  auto p = JsonPath::parse(path);
  EXPECT_TRUE(p.has_value()) << path << ": " << (p ? "" : p.error().message);
  std::vector<std::string> out;
  if (p)
    for (const auto* v : p->select(kDoc)) out.push_back(boost::json::serialize(*v));
  return out;
}

using Strings = std::vector<std::string>;

TEST(JsonPath, JsonPointer) {
  EXPECT_EQ(select("/data/1/name"), Strings{"\"Grace\""});
  EXPECT_EQ(select("/a~1b/m~0n"), Strings{"true"});
  EXPECT_EQ(select("/data/01"), Strings{});  // no leading zeros in an array index
  EXPECT_EQ(select("/data/2"), Strings{});
  EXPECT_EQ(select("/missing"), Strings{});
  EXPECT_EQ(select("/"), Strings{});  // the member named ""
}

TEST(JsonPath, JsonPathSubset) {
  EXPECT_EQ(select("$"), Strings{boost::json::serialize(kDoc)});
  EXPECT_EQ(select("$.data[0].id"), Strings{"7"});
  EXPECT_EQ(select("$.data[-1].name"), Strings{"\"Grace\""});
  EXPECT_EQ(select("$['a/b']['m~n']"), Strings{"true"});
  EXPECT_EQ(select("$.data[*].id"), (Strings{"7", "8"}));
  EXPECT_EQ(select("$.data[0].*"), (Strings{"7", "\"Ada\""}));
  EXPECT_EQ(select("$.empty[*]"), Strings{});
  EXPECT_EQ(select("$.total.x"), Strings{});
}

TEST(JsonPath, ErrorsPointAtTheProblem) {
  struct Case {
    std::string_view path;
    std::size_t column;
  };
  for (const auto& c : {Case{"", 1}, Case{"data.id", 1}, Case{"$.", 3}, Case{"$[abc]", 3}, Case{"$[0", 4},
                        Case{"$['x", 3}, Case{"$.a b", 4}, Case{"/a~2", 3}}) {
    const auto p = JsonPath::parse(c.path);
    ASSERT_FALSE(p.has_value()) << c.path;
    EXPECT_EQ(p.error().column, c.column) << c.path << ": " << p.error().message;
  }
}

}  // namespace
}  // namespace slipway::verify
