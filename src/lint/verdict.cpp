#include "lint/verdict.hpp"

namespace slipway::lint {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::safe: return "safe";
    case Verdict::review: return "review";
    case Verdict::dangerous: return "dangerous";
  }
  return "safe";
}

std::string_view to_string(LockMode m) {
  switch (m) {
    case LockMode::none: return "";
    case LockMode::access_share: return "ACCESS SHARE";
    case LockMode::row_share: return "ROW SHARE";
    case LockMode::row_exclusive: return "ROW EXCLUSIVE";
    case LockMode::share_update_exclusive: return "SHARE UPDATE EXCLUSIVE";
    case LockMode::share: return "SHARE";
    case LockMode::share_row_exclusive: return "SHARE ROW EXCLUSIVE";
    case LockMode::exclusive: return "EXCLUSIVE";
    case LockMode::access_exclusive: return "ACCESS EXCLUSIVE";
  }
  return "";
}

std::string_view blocked_by(LockMode m) {
  switch (m) {
    case LockMode::none:
    case LockMode::access_share:
    case LockMode::row_share:
    case LockMode::row_exclusive: return "nothing";
    case LockMode::share_update_exclusive: return "schema changes";
    case LockMode::share:
    case LockMode::share_row_exclusive:
    case LockMode::exclusive: return "writes";
    case LockMode::access_exclusive: return "reads and writes";
  }
  return "nothing";
}

}  // namespace slipway::lint
