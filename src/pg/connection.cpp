#include "pg/connection.hpp"

#include <libpq-fe.h>

#include <poll.h>

#include <cstdlib>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "core/units.hpp"
#include "pg/conninfo.hpp"

namespace slipway::pg {

struct Connection::Impl {
  PGconn* conn = nullptr;
  ServerError last_error;
  ~Impl() {
    if (conn) PQfinish(conn);
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

namespace {

std::string first_line(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<Connection> Connection::open(const std::string& url, int connect_timeout_seconds) {
  // A malformed URL is bad input (exit 2), not an unreachable server (exit 3).
  if (auto info = ConnInfo::parse(url); !info) return fail(info.error());
  const std::string timeout = fmt::format("{}", connect_timeout_seconds);
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), timeout.c_str(), "slipway", nullptr};
  auto impl = std::make_unique<Impl>();
  impl->conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!impl->conn) return fail(Error::environment("out of memory connecting to PostgreSQL"));
  if (PQstatus(impl->conn) != CONNECTION_OK) {
    // A password with an unencoded '/' or '@' is split by libpq, which may name a piece of it as the
    // host or port: the pieces are masked wherever they appear in its message.
    const std::vector<std::string> parts = url_password_parts(url);
    return fail(Error::environment(
        fmt::format("cannot connect to PostgreSQL: {}", redact(first_line(PQerrorMessage(impl->conn)), parts)),
        redact(url, parts), "check that the server is running and the URL, user and password are right"));
  }
  PQsetNoticeProcessor(
      impl->conn, [](void*, const char*) {}, nullptr);
  return Connection(std::move(impl));
}

Result<Rows> Connection::query(const std::string& sql) {
  return query(sql, {});
}

Result<Rows> Connection::query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* res = params.empty() ? PQexec(impl_->conn, sql.c_str())
                                 : PQexecParams(impl_->conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                                values.data(), nullptr, nullptr, 0);
  return take(res);
}

Result<Rows> Connection::query_within(const std::string& sql, std::chrono::milliseconds timeout) {
  return answer_within(PQsendQuery(impl_->conn, sql.c_str()) == 1, timeout);
}

Result<Rows> Connection::query_within(const std::string& sql, const std::vector<std::string>& params,
                                      std::chrono::milliseconds timeout) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  return answer_within(PQsendQueryParams(impl_->conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                         values.data(), nullptr, nullptr, 0) == 1,
                       timeout);
}

Result<Rows> Connection::answer_within(bool sent, std::chrono::milliseconds timeout) {
  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + timeout;
  impl_->last_error = {};
  const auto lost = [&](std::string_view what) {
    return fail(Error::environment(fmt::format("{}: {}", what, redact(first_line(PQerrorMessage(impl_->conn))))));
  };
  if (!sent) return lost("connection lost");
  while (PQisBusy(impl_->conn)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
    pollfd p{PQsocket(impl_->conn), POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 1)
      return fail(Error::environment(fmt::format("no answer from PostgreSQL within {}", format_duration(timeout))));
    if (!PQconsumeInput(impl_->conn)) return lost("connection lost");
  }
  // The last result is the statement's; the ones before it (several statements) are dropped.
  PGresult* last = nullptr;
  while (PGresult* r = PQgetResult(impl_->conn)) {
    if (last) PQclear(last);
    last = r;
  }
  if (!last) return lost("connection lost");
  return take(last);
}

Result<Rows> Connection::take(PGresult* res) {
  const ExecStatusType status = PQresultStatus(res);
  impl_->last_error = {};
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const auto field = [res](int code) {
      const char* v = PQresultErrorField(res, code);
      return v ? redact(v) : std::string();
    };
    impl_->last_error.sqlstate = field(PG_DIAG_SQLSTATE);
    impl_->last_error.message = field(PG_DIAG_MESSAGE_PRIMARY);
    impl_->last_error.detail = field(PG_DIAG_MESSAGE_DETAIL);
    impl_->last_error.hint = field(PG_DIAG_MESSAGE_HINT);
    impl_->last_error.position = std::atoi(field(PG_DIAG_STATEMENT_POSITION).c_str());
    std::string message = redact(first_line(PQresultErrorMessage(res)));
    PQclear(res);
    if (PQstatus(impl_->conn) != CONNECTION_OK)
      return fail(Error::environment(fmt::format("connection lost: {}", message)));
    return fail(Error::input(message));
  }
  Rows out;
  const int ncols = PQnfields(res);
  const int nrows = PQntuples(res);
  for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(res, c));
  out.rows.resize(static_cast<std::size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    auto& row = out.rows[static_cast<std::size_t>(r)];
    row.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
      }
    }
  }
  PQclear(res);
  return out;
}

Result<void> Connection::execute(const std::string& sql) {
  auto r = query(sql);
  if (!r) return fail(r.error());
  return {};
}

int Connection::server_version() const {
  return PQserverVersion(impl_->conn);
}

const ServerError& Connection::last_error() const {
  return impl_->last_error;
}

bool Connection::broken() const {
  return PQstatus(impl_->conn) == CONNECTION_BAD;
}

int Connection::backend_pid() const {
  return PQbackendPID(impl_->conn);
}

}  // namespace slipway::pg
