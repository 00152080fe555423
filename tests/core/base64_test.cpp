// Base64 through libsodium, with the alphabet checked first.
#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace slipway {
namespace {

TEST(Base64, RoundTripsBothVariants) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                        std::string("\0\xff\xfe", 3)}) {
    for (auto v : {Base64::standard, Base64::url}) {
      auto back = base64_decode(base64_encode(s, v), v);
      ASSERT_TRUE(back.has_value()) << s;
      EXPECT_EQ(*back, s);
    }
  }
  EXPECT_EQ(base64_encode("foobar", Base64::standard), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo", Base64::standard), "Zm8=");
  EXPECT_EQ(base64_encode("fo", Base64::url), "Zm8");
  EXPECT_EQ(base64_encode("\xfb\xff", Base64::url), "-_8");
  EXPECT_EQ(*base64_decode("Zm8=", Base64::url), "fo") << "padding is tolerated in base64url";
}

// The jwt fuzzer found libsodium 1.0.18 decoding bytes above 0x7f as letters: "B\x9f" "2/" gave
// three bytes. The alphabet is checked before libsodium sees the text.
TEST(Base64, BytesOutsideTheAlphabetAreRefusedNotDecoded) {
  EXPECT_FALSE(base64_decode("B\x9f"
                             "2/",
                             Base64::standard));
  EXPECT_FALSE(base64_decode("QUJ\x80", Base64::url));
  EXPECT_FALSE(base64_decode("ab+c", Base64::url)) << "'+' is not base64url";
  EXPECT_FALSE(base64_decode("ab-c", Base64::standard)) << "'-' is not standard base64";
  EXPECT_FALSE(base64_decode("QQ", Base64::standard)) << "standard base64 is padded";
  EXPECT_FALSE(base64_decode("Qh==", Base64::standard)) << "non-zero trailing bits";
  EXPECT_FALSE(base64_decode("a", Base64::url)) << "an impossible length";
}

}  // namespace
}  // namespace slipway
