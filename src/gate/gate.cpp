#include "gate/gate.hpp"

#include <algorithm>
#include <thread>

#include <openssl/crypto.h>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/fs.hpp"
#include "core/time.hpp"

namespace slipway::gate {
namespace json = boost::json;

namespace {

// A control answer for an error; `kind` is "input", "environment" or "findings" (exit 2, 3, 1).
std::string error_json(std::string_view kind, const Error& e) {
  json::object o;
  o["ok"] = false;
  o["kind"] = kind;
  o["error"] = e.message;
  o["hint"] = e.hint;
  return json::serialize(o);
}

std::string error_json(const Error& e) {
  return error_json(e.kind == ErrorKind::environment ? "environment" : "input", e);
}

}  // namespace

Gate::Gate(const Config& config, std::size_t threads)
    : config_(config.gate),
      metrics_(threads),
      started_(std::chrono::steady_clock::now()),
      started_at_(now_rfc3339(true)) {}

namespace {
constexpr std::size_t kRecentWrites = 100;
}

void Gate::note_write_let_through(std::string_view method, std::string_view target, std::string_view client,
                                  bool admin) {
  std::string_view path = path_of(target);
  if (path.size() > 200) path = path.substr(0, 200);
  WriteLetThrough w{0, now_rfc3339(true), std::string(method), std::string(path), std::string(client), admin};
  MutexLock lock(writes_mutex_);
  w.seq = ++writes_let_through_;
  if (recent_writes_.size() == kRecentWrites) recent_writes_.pop_front();
  recent_writes_.push_back(std::move(w));
}

Result<std::unique_ptr<Gate>> Gate::create(const Config& config, std::size_t threads) {
  std::unique_ptr<Gate> g(new Gate(config, threads));
  auto admin = AdminCheck::create(config.gate.admin);
  if (!admin) return fail(admin.error());
  g->admin_ = std::move(*admin);
  auto proxies = parse_ip_ranges(config.gate.trusted_proxies, "gate.trusted_proxies");
  if (!proxies) return fail(proxies.error());
  g->trusted_proxies_ = std::move(*proxies);
  g->rules_ = Rules{&g->config_.allow, g->config_.health_path, g->config_.admin_writes};
  g->page_ = std::string(default_page());
  if (!config.gate.maintenance_page.empty()) {
    auto page = read_text_file(config.gate.maintenance_page, kMaxConfigFileBytes);
    if (!page) return fail(page.error());
    g->page_ = std::move(*page);
  }
  auto log = AccessLog::open(config.gate.access_log, config.gate.access_log_max_size, config.gate.access_log_keep);
  if (!log) return fail(log.error());
  g->access_log_ = std::move(*log);
  auto state = load_state(config.gate);
  if (!state) return fail(state.error());
  auto address = net::parse_host_port(state->upstream);
  if (!address) return fail(Error::input(address.error().message, config.where("gate.upstream"), address.error().hint));
  MutexLock lock(g->mutex_);
  g->snapshot_ = g->make_snapshot(*state, *address, 1, std::make_shared<std::atomic<int>>(0));
  g->state_ = std::move(*state);
  g->version_.store(1, std::memory_order_release);
  return g;
}

std::shared_ptr<const Snapshot> Gate::make_snapshot(const State& state, const net::HostPort& address,
                                                    std::uint64_t version,
                                                    std::shared_ptr<std::atomic<int>> in_flight) const {
  auto snap = std::make_shared<Snapshot>();
  snap->version = version;
  snap->mode = state.mode;
  snap->message = state.message.empty() ? config_.message : state.message;
  snap->retry_after = state.retry_after > 0
                          ? state.retry_after
                          : std::chrono::duration_cast<std::chrono::seconds>(config_.retry_after).count();
  snap->upstream = state.upstream;
  snap->address = address;
  snap->in_flight = std::move(in_flight);
  snap->bypass = bypass_;
  return snap;
}

std::shared_ptr<const Snapshot> Gate::snapshot() const {
  MutexLock lock(mutex_);
  return snapshot_;
}

Result<void> Gate::publish(State state, bool new_upstream) {
  auto address = net::parse_host_port(state.upstream);
  if (!address) return fail(address.error());
  if (auto saved = save_state(config_, state); !saved) return fail(saved.error());
  MutexLock lock(mutex_);
  snapshot_ = make_snapshot(state, *address, snapshot_->version + 1,
                            new_upstream ? std::make_shared<std::atomic<int>>(0) : snapshot_->in_flight);
  state_ = std::move(state);
  version_.store(snapshot_->version, std::memory_order_release);
  return {};
}

bool Gate::bypasses(const Snapshot& snap, std::string_view token) {
  const auto now = std::chrono::steady_clock::now();
  bool match = false;
  for (const auto& live : snap.bypass) {
    match |= live.token.size() == token.size() && now < live.expires &&
             CRYPTO_memcmp(live.token.data(), token.data(), token.size()) == 0;
  }
  return match;
}

// A deploy's one-time bypass: its verification reaches the release through maintenance and
// read-only mode. Held in memory only: a restarted gate forgets it, and the deploy's verify fails
// loudly rather than pass on the maintenance page. It expires after `ttl`, so the token of a
// deploy killed before it could revoke it does not stay good.
std::string Gate::bypass(const std::string& token, bool on, std::chrono::seconds ttl) {
  if (token.size() < 32 || token.size() > 128 ||
      token.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return error_json(Error::input("a bypass token is 32 to 128 hexadecimal characters"));
  }
  if (on && (ttl.count() < 1 || ttl > std::chrono::hours(24))) {
    return error_json(Error::input("a bypass token lives from 1 second to 24 hours"));
  }
  const auto now = std::chrono::steady_clock::now();
  MutexLock lock(mutex_);
  std::erase_if(bypass_, [&](const BypassToken& t) { return t.expires <= now; });
  const auto it = std::find_if(bypass_.begin(), bypass_.end(), [&](const BypassToken& t) { return t.token == token; });
  if (on && it != bypass_.end()) {
    it->expires = now + ttl;
  } else if (on) {
    if (bypass_.size() >= 16) return error_json(Error::input("16 bypass tokens are live; revoke one first"));
    bypass_.push_back({token, now + ttl});
  } else if (it != bypass_.end()) {
    bypass_.erase(it);
  }
  snapshot_ = make_snapshot(state_, snapshot_->address, snapshot_->version + 1, snapshot_->in_flight);
  version_.store(snapshot_->version, std::memory_order_release);
  json::object o;
  o["ok"] = true;
  o["bypass_tokens"] = bypass_.size();
  return json::serialize(o);
}

std::string Gate::status_json(bool ok, std::string_view note) const {
  auto snap = snapshot();
  GateStatus s;
  s.ok = ok;
  s.mode = to_string(snap->mode);
  s.message = snap->message;
  s.retry_after = snap->retry_after;
  s.upstream = snap->upstream;
  s.bypass_tokens = std::count_if(snap->bypass.begin(), snap->bypass.end(),
                                  [](const BypassToken& t) { return std::chrono::steady_clock::now() < t.expires; });
  s.connections = connections.load();
  s.in_flight = active.load();
  s.requests = metrics_.total_requests();
  s.uptime_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  s.started_at = started_at_;
  {
    MutexLock lock(writes_mutex_);
    s.writes_let_through = writes_let_through_;
    s.recent_writes_let_through.assign(recent_writes_.begin(), recent_writes_.end());
  }
  s.note = std::string(note);
  return json::serialize(s.to_json());
}

Result<std::string> Gate::do_switch(std::string_view upstream) {
  auto address = net::parse_host_port(upstream);
  if (!address) return fail(address.error());
  const auto old = snapshot();
  if (old->upstream == upstream) return std::string("already routing to ") + std::string(upstream);

  // Health gate: `switch_healthy` 2xx answers in a row within `switch_timeout`.
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + config_.switch_timeout;
  int in_a_row = 0;
  std::string last = "no answer yet";
  while (in_a_row < config_.switch_healthy && clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - clock::now());
    auto status = net::http_status(*address, config_.health_path, std::min<Duration>(left, std::chrono::seconds(2)));
    if (status && *status >= 200 && *status < 300) {
      ++in_a_row;
      continue;
    }
    in_a_row = 0;
    last = status ? fmt::format("HTTP {}", *status) : status.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (in_a_row < config_.switch_healthy) {
    return fail(Error::input(
        fmt::format("{} did not become healthy: {} consecutive 2xx from {} were needed within {}; last: {}", upstream,
                    config_.switch_healthy, config_.health_path, format_duration(config_.switch_timeout), last),
        std::string(upstream),
        fmt::format("the gate still routes to {}; fix the new release and retry", old->upstream)));
  }

  State next;
  {
    MutexLock lock(mutex_);
    next = state_;
  }
  next.upstream = std::string(upstream);
  if (auto done = publish(std::move(next), true); !done) return fail(done.error());

  // Drain: requests already sent to the old upstream may finish.
  const auto drain_deadline = clock::now() + config_.drain_timeout;
  while (old->in_flight->load() > 0 && clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int left = old->in_flight->load();
  if (left > 0) {
    return fmt::format("switched to {}; {} request(s) still in flight on {} after the drain timeout ({})", upstream,
                       left, old->upstream, format_duration(config_.drain_timeout));
  }
  return fmt::format("switched from {} to {}; in-flight requests drained", old->upstream, upstream);
}

std::string Gate::control(std::string_view request) {
  boost::system::error_code ec;
  json::value v = json::parse(request, ec);
  if (ec || !v.is_object()) return error_json(Error::input("the control request is not a JSON object"));
  const auto& o = v.as_object();
  const auto str = [&](std::string_view key) -> std::string {
    const auto* f = o.if_contains(key);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  const auto flag = [&](std::string_view key) {
    const auto* f = o.if_contains(key);
    return f && f->is_bool() && f->as_bool();
  };
  const std::string command = str("command");
  if (command == "status") return status_json(true, "");
  if (command == "maintenance" || command == "read-only") {
    const Mode target = command == "maintenance" ? Mode::maintenance : Mode::read_only;
    State next;
    {
      MutexLock lock(mutex_);
      next = state_;
    }
    std::string note;
    if (flag("on")) {
      next.mode = target;
      if (o.contains("message")) next.message = str("message");
      if (const auto* r = o.if_contains("retry_after"); r && r->is_int64()) next.retry_after = r->as_int64();
    } else if (next.mode == target) {
      next.mode = Mode::normal;
    } else {
      note = fmt::format("the gate was not in {} mode; nothing changed", to_string(target));
    }
    if (auto done = publish(std::move(next), false); !done) return error_json(done.error());
    return status_json(true, note);
  }
  if (command == "bypass") {
    std::int64_t ttl = 2 * 3600;
    if (const auto* t = o.if_contains("ttl_seconds"); t && t->is_int64()) ttl = t->as_int64();
    return bypass(str("token"), flag("on"), std::chrono::seconds(ttl));
  }
  if (command == "switch") {
    if (auto address = net::parse_host_port(str("upstream")); !address) return error_json(address.error());
    auto done = do_switch(str("upstream"));
    if (!done) {
      return error_json(done.error().kind == ErrorKind::environment ? "environment" : "findings", done.error());
    }
    return status_json(true, *done);
  }
  return error_json(Error::input(fmt::format("unknown control command \"{}\"", command)));
}

}  // namespace slipway::gate
