#include "deploy/record.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <array>
#include <ctime>

namespace slipway::deploy {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> kPhaseStatus{"pending", "running", "ok", "skipped", "failed"};

json::array phases_json(const std::vector<PhaseRecord>& phases) {
  json::array out;
  for (const auto& p : phases) {
    out.push_back(json::object{{"name", p.name},
                               {"status", to_string(p.status)},
                               {"started_at", p.started_at},
                               {"finished_at", p.finished_at},
                               {"duration_ms", p.duration_ms},
                               {"summary", p.summary},
                               {"output_tail", p.output_tail}});
  }
  return out;
}

json::array strings_json(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = o.if_contains(key); v && v->is_array())
    for (const auto& e : v->as_array())
      if (e.is_string()) out.emplace_back(e.as_string());
  return out;
}

std::vector<PhaseRecord> read_phases(const json::object& o, std::string_view key) {
  std::vector<PhaseRecord> out;
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array()) {
    if (!e.is_object()) continue;
    const auto& p = e.as_object();
    PhaseRecord r;
    r.name = str(p, "name");
    const std::string status = str(p, "status");
    for (std::size_t i = 0; i < kPhaseStatus.size(); ++i)
      if (kPhaseStatus[i] == status) r.status = static_cast<PhaseStatus>(i);
    r.started_at = str(p, "started_at");
    r.finished_at = str(p, "finished_at");
    if (const auto* d = p.if_contains("duration_ms"); d && d->is_int64()) r.duration_ms = d->as_int64();
    r.summary = str(p, "summary");
    r.output_tail = str(p, "output_tail");
    out.push_back(std::move(r));
  }
  return out;
}

json::value lock_event_json(const std::optional<LockEvent>& e, bool lost) {
  if (!e) return nullptr;
  json::object o{
      {"holder", e->holder}, {"host", e->host}, {"pid", e->pid}, {"deploy_id", e->deploy_id}, {"reason", e->reason}};
  if (lost) o["stopped_before"] = e->stopped_before;
  return o;
}

std::optional<LockEvent> read_lock_event(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_object()) return std::nullopt;
  const auto& e = v->as_object();
  LockEvent r;
  r.holder = str(e, "holder");
  r.host = str(e, "host");
  if (const auto* p = e.if_contains("pid"); p && p->is_int64()) r.pid = static_cast<int>(p->as_int64());
  r.deploy_id = str(e, "deploy_id");
  r.reason = str(e, "reason");
  r.stopped_before = str(e, "stopped_before");
  return r;
}

}  // namespace

std::string_view to_string(PhaseStatus s) {
  return kPhaseStatus[static_cast<std::size_t>(s)];
}

namespace {
constexpr std::array<std::string_view, 6> kRunStatus{"running", "succeeded",   "blocked",
                                                     "failed",  "rolled-back", "rollback-failed"};
}

std::string_view to_string(RunStatus s) {
  return kRunStatus[static_cast<std::size_t>(s)];
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (std::size_t i = 0; i < kRunStatus.size(); ++i)
    if (kRunStatus[i] == text) return static_cast<RunStatus>(i);
  return std::nullopt;
}

std::string_view to_string(RecordKind k) {
  return k == RecordKind::rollback ? "rollback" : "deploy";
}

json::object DeployRecord::to_json() const {
  return {{"id", id},
          {"kind", to_string(kind)},
          {"version", version},
          {"status", to_string(status)},
          {"reason", reason},
          {"user", user},
          {"host", host},
          {"pid", pid},
          {"git_sha", git_sha},
          {"started_at", started_at},
          {"finished_at", finished_at},
          {"rollback_of", rollback_of},
          {"backup_id", backup_id},
          {"migrations_applied", strings_json(migrations_applied)},
          {"verify", verify},
          {"phases", phases_json(phases)},
          {"rollback", phases_json(rollback)},
          {"snapshot_id", snapshot_id},
          {"verify_config", verify_config},
          {"served_before", {{"url", served_before_url}, {"answer", served_before}, {"ok", served_before_ok}}},
          {"writes",
           {{"gate_started_at", writes_gate_started_at},
            {"mark", writes_mark},
            {"not_restored", strings_json(writes_not_restored)}}},
          {"database_state", database_state},
          {"state",
           {{"maintenance_on", maintenance_on},
            {"writes_held", writes_held},
            {"upstream", upstream},
            {"previous_upstream", previous_upstream},
            {"steps_ran", strings_json(steps_ran)}}},
          {"lock_takeover", lock_event_json(lock_takeover, false)},
          {"lock_lost", lock_event_json(lock_lost, true)}};
}

Result<DeployRecord> DeployRecord::from_json(const json::value& v) {
  if (!v.is_object()) return fail(Error::environment("a deploy record in the state database is not a JSON object"));
  const auto& o = v.as_object();
  DeployRecord r;
  r.id = str(o, "id");
  r.kind = str(o, "kind") == "rollback" ? RecordKind::rollback : RecordKind::deploy;
  r.version = str(o, "version");
  const auto status = parse_run_status(str(o, "status"));
  if (!status)
    return fail(
        Error::environment(fmt::format("deploy record {} has an unknown status \"{}\"", r.id, str(o, "status"))));
  r.status = *status;
  r.reason = str(o, "reason");
  r.user = str(o, "user");
  r.host = str(o, "host");
  if (const auto* p = o.if_contains("pid"); p && p->is_int64()) r.pid = static_cast<int>(p->as_int64());
  r.git_sha = str(o, "git_sha");
  r.started_at = str(o, "started_at");
  r.finished_at = str(o, "finished_at");
  r.rollback_of = str(o, "rollback_of");
  r.backup_id = str(o, "backup_id");
  r.migrations_applied = strings(o, "migrations_applied");
  if (const auto* ver = o.if_contains("verify")) r.verify = *ver;
  r.phases = read_phases(o, "phases");
  r.rollback = read_phases(o, "rollback");
  if (const auto* n = o.if_contains("snapshot_id"); n && n->is_int64()) r.snapshot_id = n->as_int64();
  r.verify_config = str(o, "verify_config");
  if (const auto* s = o.if_contains("served_before"); s && s->is_object()) {
    r.served_before_url = str(s->as_object(), "url");
    r.served_before = str(s->as_object(), "answer");
    if (const auto* k = s->as_object().if_contains("ok"); k && k->is_bool()) r.served_before_ok = k->as_bool();
  }
  if (const auto* w = o.if_contains("writes"); w && w->is_object()) {
    r.writes_gate_started_at = str(w->as_object(), "gate_started_at");
    if (const auto* m = w->as_object().if_contains("mark"); m && m->is_int64()) r.writes_mark = m->as_int64();
    r.writes_not_restored = strings(w->as_object(), "not_restored");
  }
  r.database_state = str(o, "database_state");
  if (const auto* s = o.if_contains("state"); s && s->is_object()) {
    const auto& st = s->as_object();
    if (const auto* m = st.if_contains("maintenance_on"); m && m->is_bool()) r.maintenance_on = m->as_bool();
    if (const auto* m = st.if_contains("writes_held"); m && m->is_bool()) r.writes_held = m->as_bool();
    r.upstream = str(st, "upstream");
    r.previous_upstream = str(st, "previous_upstream");
    r.steps_ran = strings(st, "steps_ran");
  }
  r.lock_takeover = read_lock_event(o, "lock_takeover");
  r.lock_lost = read_lock_event(o, "lock_lost");
  return r;
}

const PhaseRecord* DeployRecord::phase(std::string_view name) const {
  for (const auto& p : phases)
    if (p.name == name) return &p;
  return nullptr;
}

Result<void> History::save(const DeployRecord& record) {
  return db_->save_record({.id = record.id,
                           .kind = std::string(to_string(record.kind)),
                           .version = record.version,
                           .status = std::string(to_string(record.status)),
                           .started_at = record.started_at,
                           .finished_at = record.finished_at,
                           .json = json::serialize(record.to_json())});
}

Result<std::vector<DeployRecord>> History::query(const state::RecordFilter& filter) {
  auto texts = db_->records(filter);
  if (!texts) return fail(texts.error());
  std::vector<DeployRecord> out;
  out.reserve(texts->size());
  for (const auto& text : *texts) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    if (ec) return fail(Error::environment("a deploy record in the state database is not valid JSON"));
    auto record = DeployRecord::from_json(value);
    if (!record) return fail(record.error());
    out.push_back(std::move(*record));
  }
  return out;
}

Result<std::optional<DeployRecord>> History::first(state::RecordFilter filter) {
  filter.limit = 1;
  auto rows = query(filter);
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<DeployRecord>{};
  return std::optional<DeployRecord>{std::move(rows->front())};
}

Result<std::optional<DeployRecord>> History::find(std::string_view id) {
  if (id.empty()) return std::optional<DeployRecord>{};  // an empty filter would match every record
  return first({.id = std::string(id)});
}

Result<std::vector<DeployRecord>> History::list(std::size_t limit) {
  return query({.limit = limit});
}

Result<std::optional<DeployRecord>> History::last_succeeded(std::string_view except) {
  return first({.kind = std::string(to_string(RecordKind::deploy)),
                .status = std::string(to_string(RunStatus::succeeded)),
                .except_id = std::string(except)});
}

Result<std::optional<DeployRecord>> History::unfinished() {
  return first({.status = std::string(to_string(RunStatus::running))});
}

}  // namespace slipway::deploy
