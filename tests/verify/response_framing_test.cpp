#include "verify/response_framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace slipway::verify {
namespace {

// Feeds `bytes` in pieces of `step` and returns how many were consumed in total.
std::size_t feed_in_steps(ResponseFraming& f, const std::string& bytes, std::size_t step) {
  std::size_t used = 0;
  while (used < bytes.size() && !f.done() && !f.error()) {
    const std::size_t n = std::min(step, bytes.size() - used);
    used += f.feed(std::string_view(bytes).substr(used, n));
  }
  return used;
}

TEST(ResponseFraming, ContentLengthInEveryChunking) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhelloHTTP/1.1";
  for (std::size_t step = 1; step <= response.size(); ++step) {
    ResponseFraming f;
    f.reset();
    EXPECT_EQ(feed_in_steps(f, response, step), response.size() - 8) << "step " << step;
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.status(), 200);
    EXPECT_TRUE(f.keep_alive());
    EXPECT_EQ(f.body_bytes(), 5U);
  }
}

TEST(ResponseFraming, ChunkedWithExtensionsAndTrailers) {
  const std::string response =
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
      "4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
  for (std::size_t step = 1; step <= response.size(); ++step) {
    ResponseFraming f;
    f.reset();
    EXPECT_EQ(feed_in_steps(f, response, step), response.size()) << "step " << step;
    EXPECT_TRUE(f.done()) << "step " << step;
    EXPECT_EQ(f.status(), 404);
    EXPECT_EQ(f.body_bytes(), 14U);
  }
}

TEST(ResponseFraming, BodyUntilCloseAndConnectionClose) {
  ResponseFraming f;
  f.reset();
  f.feed("HTTP/1.0 200 OK\r\n\r\nsome body");
  EXPECT_FALSE(f.done());
  f.end_of_stream();
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.keep_alive());
  EXPECT_EQ(f.body_bytes(), 9U);

  f.reset();
  f.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.keep_alive());
}

TEST(ResponseFraming, NoBodyForHeadAnd204) {
  ResponseFraming f;
  f.reset(true);
  f.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
  EXPECT_TRUE(f.done());
  f.reset();
  f.feed("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.status(), 204);
}

TEST(ResponseFraming, RejectsGarbage) {
  for (const std::string bad :
       {"SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nbroken header\r\n\r\n"}) {
    ResponseFraming f;
    f.reset();
    f.feed(bad);
    EXPECT_TRUE(f.error()) << bad;
  }
  ResponseFraming f;
  f.reset();
  f.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  f.end_of_stream();
  EXPECT_TRUE(f.error());
}

TEST(ResponseFraming, HeadLargerThanLimitIsAnError) {
  ResponseFraming f;
  f.reset();
  const std::string huge = "HTTP/1.1 200 OK\r\nX: " + std::string(70 * 1024, 'a');
  feed_in_steps(f, huge, 4096);
  EXPECT_TRUE(f.error());
}

}  // namespace
}  // namespace slipway::verify
