#include <gtest/gtest.h>

#include "core/redact.hpp"

namespace slipway {
namespace {

TEST(Redact, MasksPasswordsInUrls) {
  EXPECT_EQ(redact("postgresql://app:s3cret@db.internal:5432/loans"), "postgresql://app:***@db.internal:5432/loans");
  EXPECT_EQ(redact("connect to postgres://u:p%40ss@h/db failed"), "connect to postgres://u:***@h/db failed");
  // A user without a password, and a URL without userinfo, stay as they are.
  EXPECT_EQ(redact("postgresql://app@db/loans"), "postgresql://app@db/loans");
  EXPECT_EQ(redact("https://example.com/a:b@c"), "https://example.com/a:b@c");
}

TEST(Redact, MasksPasswordLikeKeyValues) {
  EXPECT_EQ(redact("host=db password=hunter2 dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(redact("host=db password='a b c' dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(redact("postgresql://db/x?sslpassword=abc&sslmode=require"),
            "postgresql://db/x?sslpassword=***&sslmode=require");
  EXPECT_EQ(redact("PGPASSWORD=topsecret psql"), "PGPASSWORD=*** psql");
  EXPECT_EQ(redact("JWT_SECRET=abc123 node"), "JWT_SECRET=*** node");
  EXPECT_EQ(redact("tokens=5"), "tokens=5");
}

TEST(Redact, MasksRegisteredSecretsAnywhere) {
  register_secret("correct-horse-battery");
  EXPECT_EQ(redact("the key is correct-horse-battery, twice: correct-horse-battery"), "the key is ***, twice: ***");
  register_secret("abc");  // too short to register
  EXPECT_EQ(redact("abc"), "abc");
}

TEST(Redact, KnowsSecretNames) {
  EXPECT_TRUE(is_secret_name("JWT_SECRET"));
  EXPECT_TRUE(is_secret_name("DATABASE_PASSWORD"));
  EXPECT_TRUE(is_secret_name("api_key"));
  EXPECT_FALSE(is_secret_name("NODE_ENV"));
  EXPECT_FALSE(is_secret_name("PORT"));
}

}  // namespace
}  // namespace slipway
