#include "watch/probe.hpp"

#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "net/http_client.hpp"
#include "net/probe.hpp"
#include "pg/connection.hpp"
#include "verify/flow.hpp"
#include "verify/smoke.hpp"

namespace slipway::watch {

namespace {

using Steady = std::chrono::steady_clock;

std::chrono::microseconds since(Steady::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - start);
}

ProbeResult failed(std::string reason, Steady::time_point start) {
  return {false, redact(reason), since(start)};
}

class HttpProbe final : public Probe {
 public:
  HttpProbe(const WatchProbe& p, std::vector<verify::Assertion> conditions)
      : client_(net::ClientOptions{.timeout = p.timeout}), conditions_(std::move(conditions)) {
    request_.method = p.method;
    request_.url = p.url;
    request_.headers = p.headers;
  }

  ProbeResult run() override {
    const auto start = Steady::now();
    auto response = client_.send(request_);
    if (!response) return failed(response.error().message, start);
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(response->elapsed);
    for (const auto& c : conditions_) {
      auto outcome = verify::evaluate_assertion(c, *response);
      if (!outcome.pass) return {false, redact(fmt::format("{}: {}", c.text, outcome.message)), latency};
    }
    return {true, "", latency};
  }

 private:
  net::HttpClient client_;
  net::HttpRequest request_;
  std::vector<verify::Assertion> conditions_;
};

class TcpProbe final : public Probe {
 public:
  TcpProbe(net::HostPort address, Duration timeout) : address_(std::move(address)), timeout_(timeout) {}

  ProbeResult run() override {
    const auto start = Steady::now();
    auto fd = net::connect_tcp(address_, timeout_);
    if (!fd) return failed(fd.error().message, start);
    ::close(*fd);
    return {true, "", since(start)};
  }

 private:
  net::HostPort address_;
  Duration timeout_;
};

class PostgresProbe final : public Probe {
 public:
  PostgresProbe(std::string url, Duration timeout) : url_(std::move(url)), timeout_(timeout) {}

  ProbeResult run() override {
    const auto start = Steady::now();
    if (!connection_) {
      const auto seconds = std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(timeout_).count());
      auto opened = pg::Connection::open(url_, static_cast<int>(seconds));
      if (!opened) return failed(opened.error().message, start);
      connection_.emplace(std::move(*opened));
    }
    auto rows = connection_->query_within("SELECT 1", timeout_);
    if (!rows) {
      connection_.reset();  // dropped or broken: the next probe connects again
      return failed(rows.error().message, start);
    }
    return {true, "", since(start)};
  }

 private:
  std::string url_;
  Duration timeout_;
  std::optional<pg::Connection> connection_;
};

Result<std::vector<verify::Assertion>> parse_conditions(const WatchProbe& p) {
  std::vector<verify::Assertion> out;
  if (p.conditions.empty()) {
    out.push_back(*verify::parse_assertion("status < 400"));
    return out;
  }
  for (const auto& [text, where] : p.conditions) {
    auto a = verify::parse_assertion(text);
    if (!a)
      return fail(Error::input(
          fmt::format("{}.conditions: \"{}\": {} (at column {})", p.key, text, a.error().message, a.error().column),
          where,
          "verify's assertions: status == 200, body contains \"ok\", json $.status == \"ok\", "
          "duration < 500ms"));
    if (a->predicate.templated)
      return fail(
          Error::input(fmt::format("{}.conditions: \"{}\" has a template; a probe's conditions are fixed", p.key, text),
                       where, "write the value itself"));
    out.push_back(std::move(*a));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Probe>> make_probe(const WatchProbe& p, const Config& config) {
  if (p.kind == "tcp") {
    auto address = net::parse_host_port(p.address);
    if (!address)
      return fail(Error::input(fmt::format("{}.address: {}", p.key, address.error().message),
                               config.where(p.key + ".address"), address.error().hint));
    return std::unique_ptr<Probe>(std::make_unique<TcpProbe>(std::move(*address), p.timeout));
  }
  if (p.kind == "postgres") {
    const std::string key = p.database_url.empty() ? "database.url" : p.key + ".database_url";
    const std::string& url = p.database_url.empty() ? config.database.url : p.database_url;
    if (auto r = config.require(key); !r) return fail(r.error());
    if (url.empty())
      return fail(
          Error::input(fmt::format("{} (kind \"postgres\") has no database_url, and database.url is not set", p.key),
                       config.where(p.key), "add database_url = \"${DATABASE_URL}\""));
    return std::unique_ptr<Probe>(std::make_unique<PostgresProbe>(url, p.timeout));
  }
  if (auto r = config.require(p.key + ".url"); !r) return fail(r.error());
  if (auto url = net::Url::parse(p.url); !url)
    return fail(Error::input(fmt::format("{}.url: {}", p.key, url.error().message), config.where(p.key + ".url")));
  auto conditions = parse_conditions(p);
  if (!conditions) return fail(conditions.error());
  return std::unique_ptr<Probe>(std::make_unique<HttpProbe>(p, std::move(*conditions)));
}

}  // namespace slipway::watch
