// slipway lock status | release: who holds the deploy lock, and removing a lock left behind.
#include <cstdio>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/time.hpp"
#include "core/units.hpp"
#include "deploy/lock.hpp"
#include "state/store.hpp"

namespace slipway::cli {
namespace {

boost::json::object to_json(const deploy::LockInfo& info, const std::string& stale) {
  return {{"holder", info.holder},
          {"host", info.host},
          {"pid", info.pid},
          {"deploy_id", info.deploy_id},
          {"message", info.message},
          {"acquired_at", format_rfc3339(info.acquired)},
          {"expires_at", format_rfc3339(info.expires)},
          {"stale", stale.empty() ? boost::json::value(nullptr) : boost::json::value(stale)},
          {"backend", info.backend ? boost::json::value(info.backend) : boost::json::value(nullptr)}};
}

void print(const std::optional<deploy::LockInfo>& info, Format format, const char* verb) {
  const auto now = std::chrono::system_clock::now();
  const std::string stale = info ? deploy::stale_reason(*info, now, deploy::LockEnvironment{}) : "";
  if (format == Format::json) {
    boost::json::object out{{"locked", info.has_value()}};
    if (info) out["lock"] = to_json(*info, stale);
    std::puts(json_text(out).c_str());
    return;
  }
  if (!info) {
    std::puts(verb[0] == 'r' ? "the deploy lock was not held" : "the deploy lock is free");
    return;
  }
  std::printf("%s %s (pid %d) since %s (%s ago)%s\n", verb, info->holder.c_str(), info->pid,
              format_rfc3339(info->acquired).c_str(), format_age(info->acquired, now).c_str(),
              info->deploy_id.empty() ? "" : fmt::format(", deploy {}", info->deploy_id).c_str());
  if (!info->message.empty()) std::printf("  message: %s\n", info->message.c_str());
  if (info->backend)
    std::printf(verb[0] == 'r' ? "  ended its database session (PostgreSQL backend %d)\n"
                               : "  database session: PostgreSQL backend %d\n",
                info->backend);
  if (stale.empty()) {
    std::printf("  lease ends %s\n", format_rfc3339(info->expires).c_str());
  } else {
    std::printf("  stale: %s; the next deploy takes it over\n", stale.c_str());
  }
}

}  // namespace

int run_lock(const Args& args) {
  CLI::App app{"Show or release the deploy lock that keeps two deploys from running at once.", args[0]};
  app.footer(
      "Examples:\n"
      "  slipway lock status\n"
      "  slipway lock status --format json\n"
      "  slipway lock release     # after making sure the holder is really gone\n\n"
      "Exit codes: 0 ok, 1 release may not end the holder's PostgreSQL session, 2 bad usage,\n"
      "3 the state database could not be opened.");
  CommonOptions common;
  add_common_options(app, common, "text, json");
  app.fallthrough();  // subcommands inherit it: options may follow them, `lock status --format json`
  auto* status = app.add_subcommand("status", "who holds the lock, since when, and whether it is stale");
  auto* release =
      app.add_subcommand("release", "remove the lock whoever holds it (on PostgreSQL, ending the holder's session)");
  app.require_subcommand(1);
  if (auto code = parse(app, args)) return *code;

  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  auto config = load_config_or_report(common);
  if (!config) return 2;
  auto db = state::open(*config);
  if (!db) return report_error(db.error());

  if (status->parsed()) {
    auto info = deploy::DeployLock::status(**db);
    if (!info) return report_error(info.error());
    print(*info, *format, "held by");
    return 0;
  }
  (void)release;
  auto removed = deploy::DeployLock::force_release(**db);
  if (!removed) return report_error(removed.error());
  print(*removed, *format, "released the lock of");
  return 0;
}

}  // namespace slipway::cli
