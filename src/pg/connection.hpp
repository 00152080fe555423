// A libpq connection with the few calls Slipway needs: connect with a timeout, run a query and
// read text results. Errors never carry the password: messages go through redact().
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

struct pg_result;  // libpq's PGresult

namespace slipway::pg {

// The rows of a query, as text (NULL is std::nullopt).
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  [[nodiscard]] std::size_t size() const { return rows.size(); }
  // The value at (row, column) or "" for NULL.
  [[nodiscard]] std::string text(std::size_t row, std::size_t col) const {
    const auto& v = rows.at(row).at(col);
    return v ? *v : std::string();
  }
};

// What PostgreSQL said about the last failed call: its SQLSTATE ("55P03" for lock_not_available),
// and the parts of the message that are not the first line. Empty after a call that succeeded.
struct ServerError {
  std::string sqlstate;
  std::string message;  // the primary message, without "ERROR:  "
  std::string detail;
  std::string hint;
  int position = 0;  // 1-based character offset into the statement, or 0
};

class Connection {
 public:
  // Connects to `url` (a postgresql:// URL or a conninfo string). Fails with an environment
  // error (exit 3) naming the redacted URL.
  static Result<Connection> open(const std::string& url, int connect_timeout_seconds = 10);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Runs `sql` (one or more statements; the last one's rows are returned).
  Result<Rows> query(const std::string& sql);
  // Runs `sql` with text parameters $1, $2...
  Result<Rows> query(const std::string& sql, const std::vector<std::string>& params);
  Result<void> execute(const std::string& sql);
  // Runs `sql` and waits at most `timeout` for its answer (a probe that must not hang on a server
  // that stopped answering): an environment error after it, and the connection should then be
  // dropped, as the statement may still be running.
  Result<Rows> query_within(const std::string& sql, std::chrono::milliseconds timeout);
  // The same for one statement with text parameters $1, $2... (none is fine), sent with the
  // extended protocol, so that text holding a second statement is refused by the server.
  Result<Rows> query_within(const std::string& sql, const std::vector<std::string>& params,
                            std::chrono::milliseconds timeout);

  [[nodiscard]] int server_version() const;  // 150018 for 15.18
  // The server's error of the last query() or execute() that failed (empty when the last one
  // succeeded, or failed without reaching the server).
  [[nodiscard]] const ServerError& last_error() const;
  // Whether the connection to the server is gone (the server restarted, the network dropped).
  [[nodiscard]] bool broken() const;
  // The backend's process id (pg_backend_pid()).
  [[nodiscard]] int backend_pid() const;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  Result<Rows> take(::pg_result* res);  // the rows or the error of a result, which it frees
  // The answer to the query just sent (`sent`: it was), waiting at most `timeout`.
  Result<Rows> answer_within(bool sent, std::chrono::milliseconds timeout);
  std::unique_ptr<Impl> impl_;
};

}  // namespace slipway::pg
