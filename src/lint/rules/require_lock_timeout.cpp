// require-lock-timeout: a statement that needs a strong lock (SHARE or stronger) on a table in use
// waits for every running transaction that holds a conflicting lock, and while it waits every
// query that conflicts with it queues behind it. lock_timeout makes it give up instead (retry
// later). Reported once per file, on the first such statement, while no SET lock_timeout has
// been seen in the run. Advice only: the statement itself does the same thing either way.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

bool strong(LockMode m) {
  return m == LockMode::share || m == LockMode::share_row_exclusive || m == LockMode::exclusive ||
         m == LockMode::access_exclusive;
}

bool is_drop_index(const sql::Node& node) {
  return node.node_case == PG_QUERY__NODE__NODE_DROP_STMT &&
         node.drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
}

// The strong lock `node` takes on a table that already exists, or nullopt. Tables and indexes
// created in this run are judged with the current state: close enough for earlier statements too.
std::optional<LockInfo> strong_lock_on_existing(const Context& ctx, const sql::Node& node, const LockInfo& lock) {
  if (!strong(lock.mode) || lock.table.empty()) return std::nullopt;
  if (is_drop_index(node)) {  // lock_for names the index, whose table is not known
    if (ctx.state().new_indexes.count(lock.table) && !(ctx.live() && ctx.live()->indexes.count(lock.table))) {
      return std::nullopt;
    }
  } else if (ctx.is_new_table(lock.table)) {
    return std::nullopt;
  }
  return lock;
}

}  // namespace

void require_lock_timeout(Context& ctx) {
  if (ctx.state().lock_timeout_set) return;
  const auto lock = strong_lock_on_existing(ctx, ctx.node(), ctx.lock());
  if (!lock) return;
  const auto statements = ctx.file().statements();
  for (std::size_t i = 0; i < ctx.index(); ++i) {
    if (strong_lock_on_existing(ctx, *statements[i].node, ctx.lock_of(i))) return;  // reported there already
  }
  const std::string name = display_name(lock->table);
  const bool all = lock->mode == LockMode::access_exclusive;
  const std::string target = is_drop_index(ctx.node()) ? fmt::format("the table of {}", name) : name;
  ctx.report({
      .base = Verdict::safe,
      .message = fmt::format("takes {} on {} without a lock_timeout: if a long {} {}, this statement waits and every "
                             "{} behind it queues",
                             to_string(lock->mode), target, all ? "query holds" : "transaction writes to", target,
                             all ? "query" : "write"),
      .hint = "SET lock_timeout = '5s'; at the top of the migration (slipway migrate apply sets it from "
              "slipway.toml)",
  });
}

}  // namespace slipway::lint::rules
