// The small HTTP server of the gate's admin listener (and watch's): it answers from its handler,
// says which setting a bad address or a taken port is about, and a client that sends nothing
// keeps no one else waiting.
#include "net/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "net/http_client.hpp"
#include "server.hpp"

namespace slipway::net {
namespace {

std::unique_ptr<HttpServer> serve(std::atomic<int>* calls = nullptr) {
  auto server = HttpServer::start(
      "127.0.0.1:" + std::to_string(test::free_port()), "test.listen", [calls](const ServerRequest& r) {
        if (calls) ++*calls;
        if (r.path == "/health") return ServerAnswer{200, "application/json", R"({"status":"ok"})"};
        return ServerAnswer{404, "text/plain", std::string(r.method) + " " + std::string(r.target) + " is not here\n"};
      });
  EXPECT_TRUE(server) << server.error().render();
  return server ? std::move(*server) : nullptr;
}

Result<HttpResponse> get(std::uint16_t port, const std::string& target) {
  ClientOptions o;
  o.timeout = std::chrono::seconds(5);
  HttpClient client(o);
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + target;
  return client.send(req);
}

TEST(HttpServer, AnswersFromItsHandlerWithPathAndQuerySplit) {
  auto server = serve();
  ASSERT_TRUE(server);
  ASSERT_GT(server->port(), 0);
  auto health = get(server->port(), "/health");
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  auto other = get(server->port(), "/metrics?x=1");
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(other->body, "GET /metrics?x=1 is not here\n");
}

TEST(HttpServer, BadAddressAndTakenPortNameTheSetting) {
  auto bad = HttpServer::start("example.com:80", "gate.admin_listen", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(bad.error().where, "gate.admin_listen");
  auto first = serve();
  ASSERT_TRUE(first);
  auto taken = HttpServer::start("127.0.0.1:" + std::to_string(first->port()), "gate.admin_listen", {});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::environment);
  EXPECT_NE(taken.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos) << taken.error().message;
}

TEST(HttpServer, AClientThatSendsNothingKeepsNoOneWaiting) {
  std::atomic<int> calls{0};
  auto server = serve(&calls);
  ASSERT_TRUE(server);
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto health = get(server->port(), "/health");  // while the silent one is connected
  ::close(silent);
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, ClosedItAcceptsNoMore) {
  auto server = serve();
  ASSERT_TRUE(server);
  const auto port = server->port();
  server->close();
  server.reset();  // joins its thread
  auto refused = get(port, "/health");
  EXPECT_FALSE(refused);
}

}  // namespace
}  // namespace slipway::net
