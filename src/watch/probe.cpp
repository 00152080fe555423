#include "watch/probe.hpp"

#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "core/time.hpp"
#include "net/http_client.hpp"
#include "net/probe.hpp"
#include "pg/connection.hpp"
#include "verify/flow.hpp"
#include "verify/smoke.hpp"
#include "watch/probe_kinds.hpp"

namespace slipway::watch {

std::chrono::microseconds since(Steady::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - start);
}

ProbeResult failed(std::string reason, Steady::time_point start) {
  return {false, redact(reason), since(start)};
}

std::string one_line(const Error& e) {
  return e.where.empty() ? e.message : fmt::format("{}: {}", e.where, e.message);
}

Result<pg::Connection*> KeptConnection::get() {
  if (!connection_) {
    const auto seconds = std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(timeout_).count());
    auto opened = pg::Connection::open(url_, static_cast<int>(seconds));
    if (!opened) return fail(opened.error());
    connection_.emplace(std::move(*opened));
  }
  return &*connection_;
}

Result<net::HostPort> probe_address(const WatchProbe& p, const Config& config) {
  auto address = net::parse_host_port(p.address);
  if (!address)
    return fail(Error::input(fmt::format("{}.address: {}", p.key, address.error().message),
                             config.where(p.key + ".address"), address.error().hint));
  return address;
}

Result<net::Url> probe_url(const WatchProbe& p, const Config& config) {
  if (auto r = config.require(p.key + ".url"); !r) return fail(r.error());
  auto url = net::Url::parse(p.url);
  if (!url)
    return fail(Error::input(fmt::format("{}.url: {}", p.key, url.error().message), config.where(p.key + ".url")));
  return url;
}

Result<std::string> probe_database_url(const WatchProbe& p, const Config& config) {
  const std::string key = p.database_url.empty() ? "database.url" : p.key + ".database_url";
  const std::string& url = p.database_url.empty() ? config.database.url : p.database_url;
  if (auto r = config.require(key); !r) return fail(r.error());
  if (url.empty())
    return fail(
        Error::input(fmt::format("{} (kind \"{}\") has no database_url, and database.url is not set", p.key, p.kind),
                     config.where(p.key), "add database_url = \"${DATABASE_URL}\""));
  return url;
}

std::string certificate_days_problem(const std::string& server, std::chrono::system_clock::time_point not_after,
                                     std::int64_t cert_days, std::chrono::system_clock::time_point now) {
  const auto days = std::chrono::floor<std::chrono::days>(not_after - now).count();
  if (days >= cert_days) return {};
  const std::string date = format_rfc3339(not_after).substr(0, 10);
  if (not_after <= now) return fmt::format("certificate for {} expired on {}", server, date);
  return fmt::format("certificate for {} expires in {} day{} ({}), below cert_days = {}", server, days,
                     days == 1 ? "" : "s", date, cert_days);
}

namespace {

class HttpProbe final : public Probe {
 public:
  HttpProbe(const WatchProbe& p, std::vector<verify::Assertion> conditions, std::string host)
      : client_(net::ClientOptions{.timeout = p.timeout, .ca_file = p.ca_file.string()}),
        conditions_(std::move(conditions)),
        cert_days_(p.cert_days),
        host_(std::move(host)) {
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
    ProbeResult out{true, "", latency};
    if (cert_days_) {
      const auto not_after = response->certificate_not_after;
      const auto now = std::chrono::system_clock::now();
      out.values.emplace_back("cert_days_left", std::chrono::floor<std::chrono::days>(not_after - now).count());
      if (auto problem = certificate_days_problem(host_, not_after, *cert_days_, now); !problem.empty())
        return {false, redact(problem), latency, std::move(out.values)};
    }
    return out;
  }

 private:
  net::HttpClient client_;
  net::HttpRequest request_;
  std::vector<verify::Assertion> conditions_;
  std::optional<std::int64_t> cert_days_;
  std::string host_;
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
  PostgresProbe(std::string url, Duration timeout) : connection_(std::move(url), timeout), timeout_(timeout) {}

  ProbeResult run() override {
    const auto start = Steady::now();
    auto connection = connection_.get();
    if (!connection) return failed(connection.error().message, start);
    auto rows = (*connection)->query_within("SELECT 1", timeout_);
    if (!rows) {
      connection_.drop();  // dropped or broken: the next probe connects again
      return failed(rows.error().message, start);
    }
    return {true, "", since(start)};
  }

 private:
  KeptConnection connection_;
  Duration timeout_;
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
    auto address = probe_address(p, config);
    if (!address) return fail(address.error());
    return std::unique_ptr<Probe>(std::make_unique<TcpProbe>(std::move(*address), p.timeout));
  }
  if (p.kind == "postgres") {
    auto url = probe_database_url(p, config);
    if (!url) return fail(url.error());
    return std::unique_ptr<Probe>(std::make_unique<PostgresProbe>(std::move(*url), p.timeout));
  }
  if (p.kind == "tls") return make_tls_probe(p, config);
  if (p.kind == "sql") return make_sql_probe(p, config);
  if (p.kind == "host") return make_host_probe(p, config);
  if (p.kind == "metrics") return make_metrics_probe(p, config);
  auto url = probe_url(p, config);
  if (!url) return fail(url.error());
  auto conditions = parse_conditions(p);
  if (!conditions) return fail(conditions.error());
  return std::unique_ptr<Probe>(std::make_unique<HttpProbe>(p, std::move(*conditions), url->host));
}

}  // namespace slipway::watch
