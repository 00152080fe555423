#include "deploy/notify.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/host.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "core/units.hpp"
#include "deploy/smtp.hpp"
#include "net/http_client.hpp"

namespace slipway::deploy {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> kEvents{"start", "success", "failure", "rollback", "blocked"};

std::string label(const Event& e) {
  return e.project.empty() ? std::string("slipway") : e.project;
}

std::string who(const DeployRecord& r) {
  if (r.user.empty()) return r.host;
  if (r.host.empty()) return r.user;
  return r.user + "@" + r.host;
}

std::int64_t total_ms(const DeployRecord& r) {
  std::int64_t ms = 0;
  for (const auto& p : r.phases) ms += p.duration_ms;
  for (const auto& p : r.rollback) ms += p.duration_ms;
  return ms;
}

const PhaseRecord* failed_phase(const DeployRecord& r) {
  for (const auto& p : r.phases)
    if (p.status == PhaseStatus::failed) return &p;
  return nullptr;
}

bool rollback_failed(const DeployRecord& r) {
  return r.status == RunStatus::rollback_failed || (r.kind == RecordKind::rollback && r.status == RunStatus::failed);
}

// A manual rollback (a record of kind rollback) that finished well, or a deploy that succeeded.
bool resolves_alerts(const Event& e) {
  return e.kind == EventKind::success || (e.kind == EventKind::rollback && e.record.status == RunStatus::succeeded);
}

std::string cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // whole UTF-8 sequences
  return std::string(text.substr(0, end)) + "...";
}

std::string_view mark(PhaseStatus s) {
  switch (s) {
    case PhaseStatus::ok: return "✓";
    case PhaseStatus::failed: return "✗";
    case PhaseStatus::skipped: return "–";
    case PhaseStatus::running: return "…";
    case PhaseStatus::pending: break;
  }
  return "·";
}

// "✓ migrate       1s  3 migrations applied", one line per phase.
std::string phase_lines(const std::vector<PhaseRecord>& phases, std::string_view indent) {
  std::string out;
  for (const auto& p : phases) {
    out += fmt::format("{}{} {:<16} {:>8}", indent, mark(p.status), p.name,
                       p.status == PhaseStatus::pending ? std::string() : format_duration(Duration(p.duration_ms)));
    if (!p.summary.empty()) out += "  " + p.summary;
    out += "\n";
  }
  return out;
}

json::array strings_json(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

json::array phases_brief(const std::vector<PhaseRecord>& phases) {
  json::array out;
  for (const auto& p : phases) {
    std::string line = fmt::format("{}: {}", p.name, to_string(p.status));
    if (p.status != PhaseStatus::pending) line += fmt::format(" ({})", format_duration(Duration(p.duration_ms)));
    if (!p.summary.empty()) line += " " + p.summary;
    out.emplace_back(line);
  }
  return out;
}

// Slack mrkdwn needs &, < and > escaped, everywhere, code blocks included.
std::string slack_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out.push_back(c);
  }
  return out;
}

std::string_view emoji(const Event& e) {
  switch (e.kind) {
    case EventKind::start: return ":rocket:";
    case EventKind::success: return ":white_check_mark:";
    case EventKind::failure: return ":x:";
    case EventKind::blocked: return ":no_entry:";
    case EventKind::rollback: break;
  }
  if (rollback_failed(e.record)) return ":rotating_light:";
  return ":leftwards_arrow_with_hook:";
}

// ---- delivery ----

// Registers the path and query of a webhook URL as a secret: Slack's and most others' URLs are
// their own credential ("https://hooks.slack.com/services/T0/B0/XXXX").
void register_webhook_secret(const std::string& url) {
  auto parsed = net::Url::parse(url);
  if (parsed && parsed->target != "/") register_secret(parsed->target);
}

struct Attempt {
  bool ok = false;
  std::string message;
};

// Runs `once` and, when no connection could be made, once more after a pause.
Delivery with_retry(std::string channel, const NotifyOptions& options, const std::function<Result<Attempt>()>& once) {
  Delivery d{std::move(channel), false, {}, 0};
  for (int attempt = 1; attempt <= 2; ++attempt) {
    d.attempts = attempt;
    auto r = once();
    if (r) {
      d.ok = r->ok;
      d.message = redact(r->message);
      return d;
    }
    d.message = redact(r.error().message);
    if (!r.error().unreachable) break;  // something may have been delivered
    if (attempt == 1) std::this_thread::sleep_for(options.retry_pause);
  }
  return d;
}

Result<Attempt> post_json(const std::string& url, const json::object& body, const net::Headers& extra,
                          const NotifyOptions& options, const std::function<bool(const net::HttpResponse&)>& accept) {
  net::ClientOptions co;
  co.timeout = options.timeout;
  co.ca_file = options.ca_file;
  co.body_limit = 1024 * 1024;
  net::HttpClient client(co);
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "slipway-notify"}};
  req.headers.insert(req.headers.end(), extra.begin(), extra.end());
  req.body = json::serialize(body);
  auto res = client.send(req);
  if (!res) return fail(res.error());
  Attempt a;
  a.ok = accept(*res);
  a.message = fmt::format("{} {}", res->status, res->reason);
  if (!a.ok) {
    std::string said = res->body;
    std::replace(said.begin(), said.end(), '\n', ' ');
    a.message = fmt::format("answered {}{}", a.message, said.empty() ? std::string() : ": " + cut(said, 300));
  }
  return a;
}

bool is_2xx(const net::HttpResponse& r) {
  return r.status >= 200 && r.status < 300;
}

Delivery send_webhook(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  const auto body = webhook_payload(event, options.clock());
  const net::Headers extra{{"X-Slipway-Event", std::string(to_string(event.kind))}};
  return with_retry("webhook", options, [&] { return post_json(config.webhook, body, extra, options, is_2xx); });
}

Delivery send_slack(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  const auto body = slack_payload(event);
  return with_retry("slack", options, [&] { return post_json(config.slack_webhook, body, {}, options, is_2xx); });
}

Delivery send_pagerduty(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  const auto bodies = pagerduty_payloads(event, config.pagerduty_routing_key, options.clock());
  Delivery all{"pagerduty", true, {}, 0};
  for (const auto& body : bodies) {
    // Events v2 answers 202 Accepted: {"status":"success","message":"Event processed","dedup_key":...}.
    auto d = with_retry("pagerduty", options, [&] {
      return post_json(config.pagerduty_url, body, {}, options, [](const net::HttpResponse& r) { return is_2xx(r); });
    });
    const std::string what = fmt::format("{} {}", json::value_to<std::string>(body.at("event_action")),
                                         json::value_to<std::string>(body.at("dedup_key")));
    all.ok = all.ok && d.ok;
    all.attempts = std::max(all.attempts, d.attempts);
    if (!all.message.empty()) all.message += "; ";
    all.message += what + ": " + d.message;
  }
  all.message = redact(all.message);
  return all;
}

// "host:port", "[v6]:port" or "host" (port 587 with STARTTLS, 465 with implicit TLS, else 25).
void split_host_port(const NotifyEmail& email, smtp::Options& o) {
  std::string_view s = email.smtp;
  o.port = o.tls == smtp::Tls::starttls ? "587" : o.tls == smtp::Tls::implicit ? "465" : "25";
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    o.host = std::string(s.substr(1, close == std::string_view::npos ? s.npos : close - 1));
    if (close != std::string_view::npos && close + 1 < s.size() && s[close + 1] == ':')
      o.port = std::string(s.substr(close + 2));
    return;
  }
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || s.find(':') != colon) {
    o.host = std::string(s);
    return;
  }
  o.host = std::string(s.substr(0, colon));
  o.port = std::string(s.substr(colon + 1));
}

Delivery send_email(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  const NotifyEmail& email = config.email;
  if (email.from.empty() || email.to.empty())
    return {"email", false, "notify.email needs `from` and at least one address in `to`", 0};
  smtp::Options o;
  o.tls = email.tls == "starttls"   ? smtp::Tls::starttls
          : email.tls == "implicit" ? smtp::Tls::implicit
                                    : smtp::Tls::none;
  split_host_port(email, o);
  o.username = email.username;
  o.password = email.password;
  o.proxy = email.proxy;
  o.ca_file = options.ca_file;
  o.helo_name = options.host_name;
  o.timeout = options.timeout;
  const smtp::Message message{email.from, email.to, email_message(event, email, options)};
  return with_retry("email", options, [&]() -> Result<Attempt> {
    auto r = smtp::send(o, message);
    if (!r) return fail(r.error());
    return Attempt{true, *r};
  });
}

std::string host_name(const NotifyOptions& options) {
  return options.host_name.empty() ? slipway::host_name() : options.host_name;
}

}  // namespace

std::string_view to_string(EventKind kind) {
  return kEvents[static_cast<std::size_t>(kind)];
}

EventKind event_for(const DeployRecord& r) {
  if (r.status == RunStatus::running) return EventKind::start;
  if (r.status == RunStatus::blocked) return EventKind::blocked;
  if (r.status == RunStatus::succeeded)
    return r.kind == RecordKind::rollback ? EventKind::rollback : EventKind::success;
  if (r.status == RunStatus::failed) return r.kind == RecordKind::rollback ? EventKind::rollback : EventKind::failure;
  return EventKind::rollback;  // rolled-back, rollback-failed
}

std::vector<std::string> open_alerts(const std::vector<DeployRecord>& newest_first, std::string_view except) {
  std::vector<std::string> out;
  for (const auto& r : newest_first) {
    if (r.id == except) continue;
    if (r.status == RunStatus::succeeded) break;
    if (r.status == RunStatus::failed || r.status == RunStatus::rolled_back || r.status == RunStatus::rollback_failed)
      out.push_back(r.id);
  }
  return out;
}

std::string event_summary(const Event& e) {
  const DeployRecord& r = e.record;
  const std::string p = label(e);
  const std::string reason = r.reason.empty() ? std::string() : ": " + r.reason;
  if (r.kind == RecordKind::rollback) {
    switch (e.kind) {
      case EventKind::start: return fmt::format("{}: rolling back to {} ({}, by {})", p, r.version, r.id, who(r));
      case EventKind::success:
      case EventKind::rollback:
        if (r.status == RunStatus::succeeded)
          return fmt::format("{}: rolled back to {} ({}, {})", p, r.version, r.id,
                             format_duration(Duration(total_ms(r))));
        if (r.status == RunStatus::running) return fmt::format("{}: rolling back to {} ({})", p, r.version, r.id);
        return fmt::format("{}: rollback to {} FAILED{} ({}){}", p, r.version, reason, r.id,
                           r.maintenance_on ? "; maintenance is still on" : "");
      case EventKind::failure:
      case EventKind::blocked: break;
    }
    return fmt::format("{}: rollback to {} {}{} ({})", p, r.version, r.status, reason, r.id);
  }
  switch (e.kind) {
    case EventKind::start: return fmt::format("{}: deploying {} ({}, by {})", p, r.version, r.id, who(r));
    case EventKind::success:
      return fmt::format("{}: {} deployed ({}, {})", p, r.version, r.id, format_duration(Duration(total_ms(r))));
    case EventKind::blocked: return fmt::format("{}: deploy of {} blocked{} ({})", p, r.version, reason, r.id);
    case EventKind::failure: {
      const auto* f = failed_phase(r);
      return fmt::format("{}: deploy of {} failed{}{} ({})", p, r.version, f ? " at " + f->name : std::string(), reason,
                         r.id);
    }
    case EventKind::rollback: break;
  }
  if (rollback_failed(r))
    return fmt::format("{}: deploy of {} failed and its ROLLBACK FAILED{} ({}){}", p, r.version, reason, r.id,
                       r.maintenance_on ? "; maintenance is still on" : "");
  if (r.status == RunStatus::running)
    return fmt::format("{}: deploy of {} failed, rolling back{} ({})", p, r.version, reason, r.id);
  return fmt::format("{}: deploy of {} failed and was rolled back{} ({})", p, r.version, reason, r.id);
}

json::object webhook_payload(const Event& e, std::chrono::system_clock::time_point now) {
  return {{"event", to_string(e.kind)},           {"project", e.project},      {"summary", event_summary(e)},
          {"sent_at", format_rfc3339(now)},       {"deploy_id", e.record.id},  {"version", e.record.version},
          {"status", to_string(e.record.status)}, {"reason", e.record.reason}, {"record", e.record.to_json()}};
}

json::object slack_payload(const Event& e) {
  const DeployRecord& r = e.record;
  const std::string summary = event_summary(e);
  json::array blocks;
  blocks.push_back(
      {{"type", "section"},
       {"text", {{"type", "mrkdwn"}, {"text", cut(fmt::format("{} *{}*", emoji(e), slack_escape(summary)), 3000)}}}});
  json::array fields;
  const auto field = [&](std::string_view name, const std::string& value) {
    if (!value.empty() && fields.size() < 10)
      fields.push_back({{"type", "mrkdwn"}, {"text", cut(fmt::format("*{}*\n{}", name, slack_escape(value)), 2000)}});
  };
  field("Version", r.version);
  field("Status", std::string(to_string(r.status)));
  field("Deploy", r.id);
  field("By", who(r));
  field("Git", r.git_sha.substr(0, 12));
  field("Backup", r.backup_id);
  if (!r.migrations_applied.empty()) {
    std::string m;
    for (const auto& name : r.migrations_applied) m += (m.empty() ? "" : ", ") + name;
    field("Migrations applied", m);
  }
  if (r.maintenance_on && r.status != RunStatus::running) field("Maintenance", "still ON");
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", std::move(fields)}});
  if (!r.reason.empty() && e.kind != EventKind::start)
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", cut("*Reason:* " + slack_escape(r.reason), 3000)}}}});
  std::string phases = phase_lines(r.phases, "");
  if (!r.rollback.empty()) phases += "rollback:\n" + phase_lines(r.rollback, "  ");
  if (!phases.empty())
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", "```" + cut(slack_escape(phases), 2990) + "```"}}}});
  blocks.push_back(
      {{"type", "context"},
       {"elements",
        json::array{{{"type", "mrkdwn"},
                     {"text", slack_escape(fmt::format("slipway · {} · started {}", label(e), r.started_at))}}}}});
  return {{"text", summary}, {"blocks", std::move(blocks)}};
}

std::string pagerduty_dedup_key(std::string_view project, std::string_view deploy_id) {
  std::string key =
      project.empty() ? fmt::format("slipway-{}", deploy_id) : fmt::format("slipway-{}-{}", project, deploy_id);
  if (key.size() > 255) key.resize(255);
  return key;
}

std::vector<json::object> pagerduty_payloads(const Event& e, std::string_view routing_key,
                                             std::chrono::system_clock::time_point now) {
  const DeployRecord& r = e.record;
  std::vector<json::object> out;
  if (e.kind == EventKind::start || e.kind == EventKind::blocked) return out;
  if (resolves_alerts(e)) {
    std::vector<std::string> ids{r.id};
    if (!r.rollback_of.empty()) ids.push_back(r.rollback_of);
    ids.insert(ids.end(), e.resolves.begin(), e.resolves.end());
    std::vector<std::string> seen;
    for (const auto& id : ids) {
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      out.push_back({{"routing_key", routing_key},
                     {"event_action", "resolve"},
                     {"dedup_key", pagerduty_dedup_key(e.project, id)}});
    }
    return out;
  }
  const auto* f = failed_phase(r);
  json::object details{{"deploy_id", r.id},
                       {"kind", to_string(r.kind)},
                       {"version", r.version},
                       {"status", to_string(r.status)},
                       {"reason", r.reason},
                       {"failed_phase", f ? f->name : std::string()},
                       {"user", r.user},
                       {"host", r.host},
                       {"git_sha", r.git_sha},
                       {"started_at", r.started_at},
                       {"finished_at", r.finished_at},
                       {"backup_id", r.backup_id},
                       {"migrations_applied", strings_json(r.migrations_applied)},
                       {"phases", phases_brief(r.phases)},
                       {"rollback", phases_brief(r.rollback)},
                       {"maintenance_on", r.maintenance_on},
                       {"upstream", r.upstream}};
  const bool critical = rollback_failed(r);
  out.push_back({{"routing_key", routing_key},
                 {"event_action", "trigger"},
                 {"dedup_key", pagerduty_dedup_key(e.project, r.id)},
                 {"client", "slipway"},
                 {"payload",
                  {{"summary", cut(event_summary(e), 1024)},
                   {"source", r.host.empty() ? std::string("slipway") : r.host},
                   {"severity", critical ? "critical" : "error"},
                   {"timestamp", format_rfc3339(now)},
                   {"component", label(e)},
                   {"group", "deploy"},
                   {"class", to_string(e.kind)},
                   {"custom_details", std::move(details)}}}});
  return out;
}

std::string email_message(const Event& e, const NotifyEmail& email, const NotifyOptions& options) {
  const DeployRecord& r = e.record;
  const auto now = options.clock();
  static std::atomic<unsigned> sequence{0};
  const std::string summary = event_summary(e);

  std::string body = summary + "\n\n";
  const auto row = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) body += fmt::format("{:<12}{}\n", name, value);
  };
  row("Project", e.project);
  row("Deploy", r.id);
  row("Kind", r.kind == RecordKind::deploy ? std::string() : std::string(to_string(r.kind)));
  row("Version", r.version);
  row("Status", std::string(to_string(r.status)));
  row("Reason", r.reason);
  row("By", r.user);
  row("Host", r.host.empty() ? std::string() : fmt::format("{} (pid {})", r.host, r.pid));
  row("Git", r.git_sha);
  row("Started", r.started_at);
  row("Finished", r.finished_at);
  row("Rollback of", r.rollback_of);
  row("Backup", r.backup_id);
  for (std::size_t i = 0; i < r.migrations_applied.size(); ++i)
    row(i == 0 ? "Migrations" : "", r.migrations_applied[i]);
  if (r.status != RunStatus::running && r.maintenance_on)
    row("Maintenance", "STILL ON (the gate answers 503 to writes)");
  if (!r.upstream.empty()) row("Upstream", r.upstream);
  if (!r.phases.empty()) body += "\nPhases\n" + phase_lines(r.phases, "  ");
  if (!r.rollback.empty()) body += "\nRollback\n" + phase_lines(r.rollback, "  ");
  for (const auto* list : {&r.phases, &r.rollback})
    for (const auto& p : *list)
      if (p.status == PhaseStatus::failed && !p.output_tail.empty())
        body += fmt::format("\nOutput of {} (last lines)\n{}\n", p.name, p.output_tail);
  body += "\n-- \nSent by slipway (notify.email in slipway.toml).\n";

  // SMTP lines are at most 1000 bytes with CRLF (RFC 5321 4.5.3.1.6): longer ones are broken.
  std::string wrapped;
  std::size_t column = 0;
  bool ascii = true;
  for (char c : body) {
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    if (c == '\n') {
      column = 0;
    } else if (++column > 900 && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      wrapped.push_back('\n');
      column = 1;
    }
    wrapped.push_back(c);
  }

  std::string to;
  for (const auto& a : email.to) to += (to.empty() ? "" : ", ") + a;
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::string m;
  m += "Date: " + smtp::rfc5322_date(now) + "\n";
  m += "From: " + smtp::header_value(email.from) + "\n";
  m += "To: " + smtp::header_value(to) + "\n";
  m += "Subject: " + smtp::header_value(cut("[slipway] " + summary, 200)) + "\n";
  m += fmt::format("Message-ID: <slipway.{}.{}.{}.{}@{}>\n", r.id, to_string(e.kind), epoch, sequence++,
                   host_name(options));
  m += "MIME-Version: 1.0\n";
  m += "Content-Type: text/plain; charset=UTF-8\n";
  m += std::string("Content-Transfer-Encoding: ") + (ascii ? "7bit" : "8bit") + "\n";
  m += "Auto-Submitted: auto-generated\n";
  m += "X-Slipway-Event: " + std::string(to_string(e.kind)) + "\n";
  m += "X-Slipway-Deploy: " + smtp::header_value(r.id) + "\n";
  m += "\n" + wrapped;
  return m;
}

std::vector<Delivery> notify(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  std::vector<Delivery> out;
  if (std::find(config.on.begin(), config.on.end(), to_string(event.kind)) == config.on.end()) return out;
  register_secret(config.pagerduty_routing_key);
  register_secret(config.email.password);
  register_webhook_secret(config.webhook);
  register_webhook_secret(config.slack_webhook);
  using Send = Delivery (*)(const NotifyConfig&, const Event&, const NotifyOptions&);
  std::vector<Send> channels;
  if (!config.webhook.empty()) channels.push_back(send_webhook);
  if (!config.slack_webhook.empty()) channels.push_back(send_slack);
  if (!config.pagerduty_routing_key.empty() && event.kind != EventKind::start && event.kind != EventKind::blocked)
    channels.push_back(send_pagerduty);
  if (!config.email.smtp.empty()) channels.push_back(send_email);
  // One thread per channel: a server that hangs until its timeout delays no other channel.
  out.resize(channels.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < channels.size(); ++i)
    threads.emplace_back([&, i] { out[i] = channels[i](config, event, options); });
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace slipway::deploy
