#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <functional>

#include "core/redact.hpp"

namespace slipway {
namespace {

TEST(Redact, MasksPasswordsInUrls) {
  EXPECT_EQ(redact("postgresql://app:s3cret@db.internal:5432/loans"), "postgresql://app:***@db.internal:5432/loans");
  EXPECT_EQ(redact("connect to postgres://u:p%40ss@h/db failed"), "connect to postgres://u:***@h/db failed");
  // A user without a password, and a URL without userinfo, stay as they are.
  EXPECT_EQ(redact("postgresql://app@db/loans"), "postgresql://app@db/loans");
  EXPECT_EQ(redact("https://example.com/a:b@c"), "https://example.com/a:b@c");
  EXPECT_EQ(redact("https://registry.example.com:8443/@scope/pkg"), "https://registry.example.com:8443/@scope/pkg");
}

TEST(Redact, UrlPasswordWithUnencodedSlashOrAtIsMaskedUpToTheLastAt) {
  EXPECT_EQ(redact("postgresql://app:abc/def@host/db"), "postgresql://app:***@host/db");
  EXPECT_EQ(redact("postgresql://app:p@ss/w@rd@host/db"), "postgresql://app:***@host/db");
  EXPECT_EQ(redact("url postgresql://app:Zq9x/Lm+n==@db:5432/loans?sslmode=require, then"),
            "url postgresql://app:***@db:5432/loans?sslmode=require, then");
  // An '@' in the query is not the end of the userinfo.
  EXPECT_EQ(redact("postgresql://app:pw@db/loans?application_name=a@b"),
            "postgresql://app:***@db/loans?application_name=a@b");
  EXPECT_EQ(url_password_parts("postgresql://app:Pq7rStuv@Wx2y/Zab3cDef@Gh9i@host/db"),
            (std::vector<std::string>{"Pq7rStuv@Wx2y/Zab3cDef@Gh9i", "Pq7rStuv", "Wx2y", "Zab3cDef", "Gh9i"}));
  EXPECT_EQ(url_password_parts("postgresql://app:plain@host/db"), std::vector<std::string>{"plain"});
  EXPECT_TRUE(url_password_parts("postgresql://host/db").empty());
}

TEST(Redact, LibpqMessageIsRedactedWithThePiecesOfThePassword) {
  const std::vector<std::string> parts = url_password_parts("postgresql://app:Kt3vWpqr@Rs7uYbnm/Xy9z@127.0.0.1/db");
  EXPECT_EQ(redact("could not translate host name \"Rs7uYbnm/Xy9z@127.0.0.1\" to address", parts),
            "could not translate host name \"***/***@127.0.0.1\" to address");
}

TEST(Redact, MasksPasswordLikeKeyValues) {
  EXPECT_EQ(redact("host=db password=hunter2 dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(redact("host=db password='a b c' dbname=x"), "host=db password='***' dbname=x");
  EXPECT_EQ(redact("postgresql://db/x?sslpassword=abc&sslmode=require"),
            "postgresql://db/x?sslpassword=***&sslmode=require");
  EXPECT_EQ(redact("PGPASSWORD=topsecret psql"), "PGPASSWORD=*** psql");
  EXPECT_EQ(redact("JWT_SECRET=abc123 node"), "JWT_SECRET=*** node");
  EXPECT_EQ(redact("tokens=5"), "tokens=5");
  EXPECT_EQ(redact("Authorization: Bearer eyJhbGciOi.x.y\nAccept: */*"), "Authorization: Bearer ***\nAccept: */*");
  EXPECT_EQ(redact("X-Api-Key: k-123456"), "X-Api-Key: ***");
}

TEST(Redact, MaskingASecretQueryParameterKeepsTheClosingQuote) {
  EXPECT_EQ(redact(R"({"message":"GET /api/files?access_token=eyJ.a.b","part":"smoke"})"),
            R"({"message":"GET /api/files?access_token=***","part":"smoke"})");
  EXPECT_EQ(redact(R"(fetch('/x?token=abc') done)"), R"(fetch('/x?token=***') done)");
  EXPECT_EQ(redact("<failure message=\"GET /x?access_token=abc\"/>"), "<failure message=\"GET /x?access_token=***\"/>");
}

TEST(Redact, JsonValuesUnderSecretNamesAreMaskedCapturedOrNot) {
  EXPECT_EQ(redact(R"({"accessToken":"eyJ1","refresh_token":"r-1","expires_in":900,"user":{"password":"pw"}})"),
            R"({"accessToken":"***","refresh_token":"***","expires_in":900,"user":{"password":"***"}})");
  // A number becomes the string "***"; true, false and null stay.
  EXPECT_EQ(redact(R"({"pin": 123456, "session": null})"), R"({"pin": 123456, "session": null})");
  EXPECT_EQ(redact(R"({"api_key": 123456, "session": null})"), R"({"api_key": "***", "session": null})");
  // A body excerpt inside a JSON report, a JUnit attribute, and text that is not JSON.
  EXPECT_EQ(redact(R"({"message":"expected 200: {\"refresh_token\":\"r-1\",\"n\":1}"})"),
            R"({"message":"expected 200: {\"refresh_token\":\"***\",\"n\":1}"})");
  EXPECT_EQ(redact("got {&quot;refresh_token&quot;:&quot;r-1&quot;}"),
            "got {&quot;refresh_token&quot;:&quot;***&quot;}");
  EXPECT_EQ(redact(R"(401 {"error":"expired","refresh_token":"r-1)"), R"(401 {"error":"expired","refresh_token":"***)");
  EXPECT_EQ(redact("Set-Cookie: sid=abc; Path=/; HttpOnly"), "Set-Cookie: ***");
}

TEST(Redact, MasksRegisteredSecretsAnywhere) {
  register_secret("correct-horse-battery");
  EXPECT_EQ(redact("the key is correct-horse-battery, twice: correct-horse-battery"), "the key is ***, twice: ***");
  register_secret("abc");  // too short to register
  EXPECT_EQ(redact("abc"), "abc");
  // Also where JSON or XML escaped it.
  register_secret(R"(Qz"7\k!Lm2#Np4)");
  EXPECT_EQ(redact(R"({"m":"was Qz\"7\\k!Lm2#Np4."})"), R"({"m":"was ***."})");
  EXPECT_EQ(redact("was Qz&quot;7\\k!Lm2#Np4."), "was ***.");
}

TEST(Redact, WeakSecretIsMaskedOnlyWhereItStandsAsAValue) {
  register_secret("admin");
  register_secret("postgres");
  EXPECT_EQ(redact("GET /admin/users as administrator on postgres 15"),
            "GET /admin/users as administrator on postgres 15");
  EXPECT_EQ(redact("postgresql://postgres:postgres@db/loans"), "postgresql://postgres:***@db/loans");
  EXPECT_EQ(redact("DB_USER=app DB_PASS=admin npm start"), "DB_USER=app DB_PASS=*** npm start");
  EXPECT_EQ(redact(R"({"role":"admin","note":"admin logged in"})"), R"({"role":"***","note":"admin logged in"})");
  EXPECT_EQ(redact("X-Role: admin"), "X-Role: ***");
  EXPECT_TRUE(is_weak_secret("admin"));
  EXPECT_TRUE(is_weak_secret("postgres"));
  EXPECT_TRUE(is_weak_secret("12345678"));
  EXPECT_TRUE(is_weak_secret("aaaaaaaabbbbbbbbaaaa"));
  EXPECT_FALSE(is_weak_secret("correct-horse-battery"));
  EXPECT_FALSE(is_weak_secret("Zq9xLmno"));
}

TEST(Redact, KnowsSecretNames) {
  EXPECT_TRUE(is_secret_name("JWT_SECRET"));
  EXPECT_TRUE(is_secret_name("DATABASE_PASSWORD"));
  EXPECT_TRUE(is_secret_name("api_key"));
  EXPECT_FALSE(is_secret_name("NODE_ENV"));
  EXPECT_FALSE(is_secret_name("PORT"));
}

// ---- the property: redaction changes the secrets and nothing else ----

namespace json = boost::json;

// splitmix64: the same cases on every machine and every run.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  std::string text(std::string_view alphabet, std::size_t min, std::size_t max) {
    std::string out;
    const std::size_t n = min + below(max - min + 1);
    for (std::size_t i = 0; i < n; ++i) out += alphabet[below(alphabet.size())];
    return out;
  }

 private:
  std::uint64_t state_;
};

constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// What a password in a URL's userinfo holds when nobody percent-encoded it.
constexpr std::string_view kUrlPassword = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/@:!$*~._-";

struct Planted {
  json::value doc;
  json::value expected;
};

class Planter {
 public:
  explicit Planter(Rng& rng) : rng_(rng) {
    // A fixed pool of registered secrets, some with the characters JSON escapes.
    for (int i = 0; i < 24; ++i) {
      std::string s = "Sk" + rng_.text(kBase64Url, 14, 30);
      if (i % 4 == 0) s.insert(s.begin() + 5, i % 8 == 0 ? '"' : '\\');
      register_secret(s);
      registered_.push_back(s);
    }
    for (const std::string& w : weak_) register_secret(w);
  }
  const std::vector<std::string>& registered() const { return registered_; }
  const std::vector<std::string>& planted() const { return planted_; }
  void reset() { planted_.clear(); }

  // A string with one secret in it, and the string as it must read once redacted. `plain` leaves
  // out the characters that JSON escapes (inside an excerpt they are escaped twice).
  std::pair<std::string, std::string> secret_string(bool plain) {
    const std::string noise = sentence();
    switch (rng_.below(7)) {
      case 0: {
        const std::string pw = plant("P" + rng_.text(kUrlPassword, 8, 40) + (rng_.below(3) ? "" : "=="));
        const std::string tail =
            rng_.pick<std::string>({"db.internal:5432/loans?sslmode=require", "127.0.0.1/x", "h/db"});
        const std::string scheme = rng_.pick<std::string>({"postgresql", "postgres", "https", "redis"});
        return {scheme + "://app:" + pw + "@" + tail, scheme + "://app:***@" + tail};
      }
      case 1: {
        const std::string param = rng_.pick<std::string>(
            {"access_token", "token", "api_key", "apikey", "password", "client_secret", "sig_token"});
        const std::string tok = plant(rng_.text(kBase64Url, 12, 60));
        const std::string after = rng_.below(2) ? "&page=2" : "";
        return {"GET https://api.example.com/v1/items?sort=asc&" + param + "=" + tok + after + " -> 200",
                "GET https://api.example.com/v1/items?sort=asc&" + param + "=***" + after + " -> 200"};
      }
      case 2: {
        const std::string tok = plant(rng_.text(kBase64Url, 12, 60));
        return rng_.below(2) ? std::pair{"Authorization: Bearer " + tok, std::string("Authorization: Bearer ***")}
                             : std::pair{"X-Api-Key: " + tok, std::string("X-Api-Key: ***")};
      }
      case 3: {
        const std::string tok = plant(rng_.text(kBase64Url, 12, 60));
        const std::string name = rng_.pick<std::string>({"DB_PASSWORD", "JWT_SECRET", "GITHUB_TOKEN", "PGPASSWORD"});
        return {name + "=" + tok + " " + noise, name + "=*** " + noise};
      }
      case 4: {
        std::string s = rng_.pick(registered_);
        if (plain && (s.find('"') != std::string::npos || s.find('\\') != std::string::npos)) s = registered_[1];
        planted_.push_back(s);
        return {noise + " " + s + " " + noise, noise + " *** " + noise};
      }
      case 5: {
        const std::string w = rng_.pick(weak_);
        return {"postgresql://" + w + ":" + w + "@db/loans", "postgresql://" + w + ":***@db/loans"};
      }
      default: {
        const std::string w = rng_.pick(weak_);
        return {"ROLE=" + w + " " + noise, "ROLE=*** " + noise};
      }
    }
  }

  Planted object(int depth, bool plain) {
    json::object doc, expected;
    const std::size_t fields = 1 + rng_.below(6);
    for (std::size_t f = 0; f < fields; ++f) {
      std::string key = rng_.pick(keys_) + std::to_string(f);
      switch (rng_.below(depth > 0 ? 10 : 8)) {
        case 0: {  // ordinary text, with the weak words inside it
          const std::string s = sentence();
          doc[key] = s;
          expected[key] = s;
          break;
        }
        case 1: {  // a string under a secret name
          key = rng_.pick(secret_keys_);
          const std::string tok = plant(rng_.text(kBase64Url, 8, 80));
          const bool auth = key == "Authorization";
          doc[key] = auth ? "Bearer " + tok : tok;
          expected[key] = auth ? "Bearer ***" : "***";
          break;
        }
        case 2: {  // a number under a secret name, and nothing to hide
          key = rng_.pick(secret_keys_);
          const auto n = static_cast<std::int64_t>(100000 + rng_.below(900000));
          if (rng_.below(3) == 0) {
            doc[key] = nullptr;
            expected[key] = nullptr;
          } else {
            doc[key] = n;
            expected[key] = "***";
          }
          break;
        }
        case 3:
        case 4:
        case 5: {
          auto [s, e] = secret_string(plain);
          doc[key] = s;
          expected[key] = e;
          break;
        }
        case 6: {  // a weak secret as a whole value
          doc[key] = rng_.pick(weak_);
          expected[key] = "***";
          break;
        }
        case 7: {
          const auto n = static_cast<std::int64_t>(rng_.below(100000));
          doc[key] = rng_.below(2) ? json::value(n) : json::value(rng_.below(2) == 1);
          expected[key] = doc[key];
          break;
        }
        case 8: {  // nested
          json::array a, b;
          for (std::size_t i = 0, n = rng_.below(3); i <= n; ++i) {
            Planted p = object(depth - 1, plain);
            a.push_back(std::move(p.doc));
            b.push_back(std::move(p.expected));
          }
          doc[key] = std::move(a);
          expected[key] = std::move(b);
          break;
        }
        default: {  // a body excerpt: a document serialized into a string
          Planted p = object(depth - 1, true);
          doc[key] = "expected 200: " + json::serialize(p.doc);
          expected[key] = "expected 200: " + json::serialize(p.expected);
          break;
        }
      }
    }
    return {std::move(doc), std::move(expected)};
  }

 private:
  std::string plant(std::string s) {
    planted_.push_back(s);
    return s;
  }
  std::string sentence() {
    std::string s;
    for (std::size_t i = 0, n = 2 + rng_.below(4); i < n; ++i) s += (i ? " " : "") + rng_.pick(words_);
    return s;
  }

  Rng& rng_;
  std::vector<std::string> registered_;
  std::vector<std::string> planted_;
  const std::vector<std::string> weak_{"admin", "postgres"};
  const std::vector<std::string> words_{"deploy",   "admin", "loans", "ok",  "the", "users",  "GET", "/admin/users",
                                        "postgres", "ready", "42",    "x-y", "a.b", "tokens", "v1.2"};
  const std::vector<std::string> keys_{"id", "name", "url", "message", "role", "items", "note", "status", "path"};
  const std::vector<std::string> secret_keys_{
      "refresh_token", "accessToken", "password",    "client_secret", "api_key", "Authorization", "session",
      "X-Api-Key",     "PGPASSWORD",  "private_key", "sessionid",     "passwd",  "jwt",           "csrfToken"};
};

TEST(RedactProperty, RandomDocumentsKeepTheirStructureAndLoseEveryPlantedSecret) {
  Rng rng(20261207);
  Planter planter(rng);
  for (int i = 0; i < 3000; ++i) {
    planter.reset();
    const Planted p = planter.object(2, false);
    const std::string text = json::serialize(p.doc);
    const std::string out = redact(text);
    boost::system::error_code ec;
    const json::value parsed = json::parse(out, ec);
    ASSERT_FALSE(ec) << "case " << i << ": not JSON any more\n" << text << "\n" << out;
    ASSERT_EQ(parsed, p.expected) << "case " << i << "\n" << text << "\n" << out;
    for (const std::string& s : planter.planted()) {
      ASSERT_EQ(out.find(s), std::string::npos) << "case " << i << ": '" << s << "' survived\n" << out;
    }
  }
}

TEST(RedactProperty, RandomTextLinesChangeOnlyWhereTheSecretWas) {
  Rng rng(7);
  Planter planter(rng);
  for (int i = 0; i < 3000; ++i) {
    planter.reset();
    std::string text = "log", expected = "log";
    for (std::size_t k = 0, n = 1 + rng.below(4); k < n; ++k) {
      auto [s, e] = planter.secret_string(false);
      const std::string sep = rng.pick<std::string>({" ", "\n", "; ", " (", ", "});
      text += sep + s;
      expected += sep + e;
    }
    const std::string out = redact(text);
    ASSERT_EQ(out, expected) << "case " << i;
    for (const std::string& s : planter.planted()) {
      ASSERT_EQ(out.find(s), std::string::npos) << "case " << i << ": '" << s << "' survived\n" << out;
    }
  }
}

}  // namespace
}  // namespace slipway
