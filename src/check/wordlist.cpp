#include "check/wordlist.hpp"

#include <array>

namespace slipway::check {
namespace {

// Common passwords (the top of public breach lists) and the words placeholder secrets are built from.
constexpr std::array<std::string_view, 208> kWords{
    "abc",         "abcd",       "abcdef",      "access",     "account",    "admin",      "administrator", "api",
    "apikey",      "app",        "application", "asdf",       "asdfgh",     "auth",       "autumn",        "bad",
    "banana",      "bar",        "baseball",    "basketball", "batman",     "baz",        "bearer",        "best",
    "black",       "blue",       "cat",         "change",     "changeme",   "charlie",    "client",        "cloud",
    "code",        "coder",      "coding",      "company",    "computer",   "cookie",     "credit",        "crypto",
    "database",    "db",         "default",     "demo",       "dev",        "developer",  "development",   "diamond",
    "dog",         "dragon",     "earth",       "empty",      "encrypt",    "encryption", "example",       "express",
    "fire",        "flower",     "foo",         "football",   "freedom",    "god",        "gold",          "golden",
    "good",        "green",      "guest",       "hash",       "hello",      "hi",         "hidden",        "hmac",
    "hockey",      "hunter",     "hunter2",     "iloveyou",   "internet",   "it",         "jordan",        "jwt",
    "key",         "keyboard",   "keys",        "letmein",    "loan",       "loans",      "local",         "localhost",
    "login",       "logon",      "long",        "love",       "lover",      "manager",    "master",        "me",
    "member",      "members",    "michael",     "mine",       "money",      "monkey",     "moon",          "mustang",
    "my",          "mysecret",   "mysql",       "nest",       "new",        "next",       "ninja",         "node",
    "none",        "nothing",    "null",        "officer",    "old",        "open",       "opensesame",    "orange",
    "our",         "pass",       "passphrase",  "passwd",     "password",   "please",     "pokemon",       "postgres",
    "postgresql",  "princess",   "private",     "prod",       "production", "public",     "purple",        "qux",
    "qwerty",      "qwertyuiop", "random",      "react",      "red",        "redis",      "refresh",       "report",
    "rockstar",    "root",       "safe",        "salt",       "sample",     "secret",     "secretkey",     "secrets",
    "secure",      "security",   "server",      "service",    "sesame",     "session",    "shadow",        "sign",
    "signing",     "silver",     "sky",         "soccer",     "spiderman",  "spring",     "stage",         "staging",
    "star",        "starwars",   "strong",      "summer",     "sun",        "sunshine",   "super",         "superman",
    "supersecret", "supervisor", "system",      "temp",       "temporary",  "test",       "tester",        "testing",
    "that",        "the",        "this",        "token",      "tokens",     "topsecret",  "trust",         "trustno",
    "union",       "unknown",    "user",        "username",   "very",       "water",      "welcome",       "whatever",
    "white",       "winter",     "world",       "xyz",        "yellow",     "your",       "yours",         "zxcvbn",
};

}  // namespace

std::span<const std::string_view> common_words() {
  return kWords;
}

}  // namespace slipway::check
