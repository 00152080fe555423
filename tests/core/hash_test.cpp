#include "core/hash.hpp"

#include <gtest/gtest.h>

namespace slipway {
namespace {

TEST(Hash, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, Sha256IncrementalEqualsOneShot) {
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.hex(), sha256_hex("abc"));
}

TEST(Hash, Crc32KnownVectorsAndContinuation) {
  EXPECT_EQ(crc32(""), 0U);
  EXPECT_EQ(crc32("123456789"), 0xCBF43926U);
  EXPECT_EQ(crc32("6789", crc32("12345")), 0xCBF43926U);
}

}  // namespace
}  // namespace slipway
