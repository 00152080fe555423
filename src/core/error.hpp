// Slipway's error currency below the command layer.
//
// Functions that can fail return `Result<T>` (tl::expected<T, Error>). An Error says what went
// wrong, where (a "file:line:col" or a subject such as a table name), and what to do about it.
// The command layer turns the error's kind into an exit code (see ExitCode), so a library never
// decides how the process ends.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace slipway {

// The exit codes every command shares (DESIGN.md, "Commands").
enum class ExitCode : int {
  ok = 0,           // all good
  findings = 1,     // findings that block
  bad_input = 2,    // bad usage or bad input
  environment = 3,  // the environment failed: database unreachable, command not found
};

enum class ErrorKind {
  refused,      // the check worked and says no (a held lock, a blocked deploy): exit 1
  bad_input,    // the user's file, flag or data is wrong: exit 2
  environment,  // something outside slipway failed: exit 3
};

struct Error {
  ErrorKind kind = ErrorKind::bad_input;
  std::string message;  // what was wrong, one line
  std::string where;    // "file:line:col", a path, or empty
  std::string hint;     // what to do about it, or empty
  // An environment error raised before any byte was sent (the host did not resolve, the
  // connection was refused or timed out): a second try cannot deliver anything twice.
  bool unreachable = false;

  static Error input(std::string message, std::string where = {}, std::string hint = {}) {
    return {ErrorKind::bad_input, std::move(message), std::move(where), std::move(hint)};
  }
  static Error environment(std::string message, std::string where = {}, std::string hint = {}) {
    return {ErrorKind::environment, std::move(message), std::move(where), std::move(hint)};
  }
  static Error refused(std::string message, std::string where = {}, std::string hint = {}) {
    return {ErrorKind::refused, std::move(message), std::move(where), std::move(hint)};
  }
  // An environment error with `unreachable` set.
  static Error unreachable_at(std::string message, std::string where = {}, std::string hint = {}) {
    Error e = environment(std::move(message), std::move(where), std::move(hint));
    e.unreachable = true;
    return e;
  }

  // "where: message" followed by "  hint: ..." when there is a hint.
  [[nodiscard]] std::string render() const;
  [[nodiscard]] ExitCode exit_code() const {
    switch (kind) {
      case ErrorKind::refused: return ExitCode::findings;
      case ErrorKind::environment: return ExitCode::environment;
      case ErrorKind::bad_input: break;
    }
    return ExitCode::bad_input;
  }
};

template <typename T>
using Result = tl::expected<T, Error>;

using tl::unexpected;

inline unexpected<Error> fail(Error error) {
  return unexpected<Error>(std::move(error));
}

}  // namespace slipway
