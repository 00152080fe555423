// The sql probe: a value rule on the application's own tables. Each run, on one kept connection:
//
//   BEGIN; SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = <timeout>
//   <query>      sent alone with the extended protocol: a second statement in it is refused
//   ROLLBACK
//
// The query must answer one row with one number, which must keep the condition:
// `SELECT count(*) FROM "AuditLog" WHERE action = 'LOGIN_FAILED' AND at > now() - interval '5
// minutes'` with condition "value < 5" fails with "value 12 breaks value < 5". The server cancels
// the statement at the timeout; the client waits a second longer, then drops the connection.
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "watch/probe_kinds.hpp"

namespace slipway::watch {

namespace {

constexpr auto kClientGrace = std::chrono::seconds(1);

bool holds(double value, const std::string& op, double bound) {
  if (op == "<") return value < bound;
  if (op == "<=") return value <= bound;
  if (op == ">") return value > bound;
  if (op == ">=") return value >= bound;
  if (op == "==") return value == bound;
  return value != bound;
}

// The one number `rows` holds, or why they are not one number.
tl::expected<double, std::string> one_number(const pg::Rows& rows) {
  if (rows.columns.size() != 1)
    return tl::unexpected(fmt::format("the query answers {} columns, not one number", rows.columns.size()));
  if (rows.size() != 1) return tl::unexpected(fmt::format("the query answered {} rows, not one", rows.size()));
  const auto& cell = rows.rows[0][0];
  if (!cell) return tl::unexpected(std::string("the query answered NULL, not a number"));
  double value = 0;
  const auto [end, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), value);
  if (ec != std::errc() || end != cell->data() + cell->size() || !std::isfinite(value))
    return tl::unexpected(fmt::format("the query answered \"{}\", not a number", cell->substr(0, 60)));
  return value;
}

class SqlProbe final : public Probe {
 public:
  SqlProbe(const WatchProbe& p, std::string url)
      : connection_(std::move(url), p.timeout),
        query_(p.query),
        condition_(p.condition),
        op_(p.condition_op),
        bound_(p.condition_value),
        timeout_(p.timeout) {}

  ProbeResult run() override {
    const auto start = Steady::now();
    auto connection = connection_.get();
    if (!connection) return failed(connection.error().message, start);
    pg::Connection& db = **connection;
    const auto wait = timeout_ + kClientGrace;
    auto begun = db.query_within(
        fmt::format("BEGIN; SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {}", timeout_.count()), wait);
    if (!begun) {
      connection_.drop();
      return failed(begun.error().message, start);
    }
    auto rows = db.query_within(query_, {}, wait);
    // The server's primary message ("relation \"audit_log\" does not exist"), before ROLLBACK clears it.
    const std::string why = rows                              ? ""
                            : db.last_error().message.empty() ? rows.error().message
                                                              : db.last_error().message;
    const bool answered = rows || rows.error().kind == ErrorKind::bad_input;  // an SQL error leaves it usable
    if (!answered || !db.query_within("ROLLBACK", wait)) connection_.drop();
    if (!rows) return failed(fmt::format("the query failed: {}", why), start);
    auto value = one_number(*rows);
    if (!value) return failed(value.error(), start);
    ProbeResult out{true, "", since(start)};
    out.values.emplace_back("value", *value);
    if (!holds(*value, op_, bound_)) {
      out.ok = false;
      out.reason = redact(fmt::format("value {} breaks {}", *value, condition_));
    }
    return out;
  }

 private:
  KeptConnection connection_;
  std::string query_;
  std::string condition_;
  std::string op_;
  double bound_;
  Duration timeout_;
};

}  // namespace

Result<std::unique_ptr<Probe>> make_sql_probe(const WatchProbe& p, const Config& config) {
  auto url = probe_database_url(p, config);
  if (!url) return fail(url.error());
  if (p.query.empty() || p.condition_op.empty())
    return fail(Error::input(fmt::format("{} (kind \"sql\") needs a query and a condition", p.key), config.where(p.key),
                             "query = \"SELECT count(*) FROM ...\", condition = \"value < 5\""));
  return std::unique_ptr<Probe>(std::make_unique<SqlProbe>(p, std::move(*url)));
}

}  // namespace slipway::watch
