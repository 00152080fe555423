#include "notify/notify.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/base64.hpp"
#include "core/host.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "net/http_client.hpp"
#include "notify/smtp.hpp"

namespace slipway::notify {

namespace json = boost::json;

namespace {

std::string label(const Event& e) {
  return e.project.empty() ? std::string("slipway") : e.project;
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

// "deploy" -> "Deploy", for the X-Slipway-<Source> header.
std::string capitalised(std::string_view word) {
  std::string out(word);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
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

Result<Attempt> post(const std::string& url, std::string content_type, std::string body, const net::Headers& extra,
                     const NotifyOptions& options, const std::function<bool(const net::HttpResponse&)>& accept) {
  net::ClientOptions co;
  co.timeout = options.timeout;
  co.ca_file = options.ca_file;
  co.body_limit = 1024 * 1024;
  net::HttpClient client(co);
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", std::move(content_type)}, {"User-Agent", "slipway-notify"}};
  req.headers.insert(req.headers.end(), extra.begin(), extra.end());
  req.body = std::move(body);
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

Result<Attempt> post_json(const std::string& url, const json::object& body, const net::Headers& extra,
                          const NotifyOptions& options, const std::function<bool(const net::HttpResponse&)>& accept) {
  return post(url, "application/json", json::serialize(body), extra, options, accept);
}

bool is_2xx(const net::HttpResponse& r) {
  return r.status >= 200 && r.status < 300;
}

Delivery send_webhook(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  const auto body = webhook_payload(event, options.clock());
  const net::Headers extra{{"X-Slipway-Event", event.kind}};
  return with_retry("webhook", options, [&] { return post_json(config.webhook, body, extra, options, is_2xx); });
}

Delivery send_sms(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  const NotifySms& sms = config.sms;
  const net::Headers auth{
      {"Authorization", "Basic " + base64_encode(sms.username + ":" + sms.password, Base64::standard)}};
  Delivery all{"sms", true, {}, 0};
  for (const auto& to : sms.to) {
    auto d = with_retry("sms", options, [&] {
      return post(sms.url, "application/x-www-form-urlencoded", sms_form(event, sms, to), auth, options, is_2xx);
    });
    all.ok = all.ok && d.ok;
    all.attempts = std::max(all.attempts, d.attempts);
    all.message += fmt::format("{}{}: {}", all.message.empty() ? "" : "; ", to, d.message);
  }
  return all;
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

std::string cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // whole UTF-8 sequences
  return std::string(text.substr(0, end)) + "...";
}

json::object webhook_payload(const Event& e, std::chrono::system_clock::time_point now) {
  json::object out{{"event", e.kind}, {"project", e.project}, {"summary", e.summary}, {"sent_at", format_rfc3339(now)}};
  for (const auto& [key, value] : e.webhook) out[key] = value;
  return out;
}

json::object slack_payload(const Event& e) {
  json::array blocks;
  blocks.push_back(
      {{"type", "section"},
       {"text", {{"type", "mrkdwn"}, {"text", cut(fmt::format("{} *{}*", e.emoji, slack_escape(e.summary)), 3000)}}}});
  json::array fields;
  for (const Field& f : e.fields) {
    if (!f.value.empty() && fields.size() < 10)
      fields.push_back(
          {{"type", "mrkdwn"}, {"text", cut(fmt::format("*{}*\n{}", f.name, slack_escape(f.value)), 2000)}});
  }
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", std::move(fields)}});
  if (!e.reason.empty())
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", cut("*Reason:* " + slack_escape(e.reason), 3000)}}}});
  if (!e.details.empty())
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", "```" + cut(slack_escape(e.details), 2990) + "```"}}}});
  blocks.push_back(
      {{"type", "context"}, {"elements", json::array{{{"type", "mrkdwn"}, {"text", slack_escape(e.footer)}}}}});
  return {{"text", e.summary}, {"blocks", std::move(blocks)}};
}

std::string pagerduty_dedup_key(std::string_view project, std::string_view id) {
  std::string key = project.empty() ? fmt::format("slipway-{}", id) : fmt::format("slipway-{}-{}", project, id);
  if (key.size() > 255) key.resize(255);
  return key;
}

std::vector<json::object> pagerduty_payloads(const Event& e, std::string_view routing_key,
                                             std::chrono::system_clock::time_point now) {
  std::vector<json::object> out;
  if (e.alert == Alert::resolve) {
    std::vector<std::string> seen;
    for (const auto& key : e.resolves) {
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      out.push_back({{"routing_key", routing_key}, {"event_action", "resolve"}, {"dedup_key", key}});
    }
  } else if (e.alert == Alert::trigger) {
    out.push_back({{"routing_key", routing_key},
                   {"event_action", "trigger"},
                   {"dedup_key", e.dedup_key},
                   {"client", "slipway"},
                   {"payload",
                    {{"summary", cut(e.summary, 1024)},
                     {"source", e.alert_source.empty() ? std::string("slipway") : e.alert_source},
                     {"severity", e.critical ? "critical" : "error"},
                     {"timestamp", format_rfc3339(now)},
                     {"component", label(e)},
                     {"group", e.source},
                     {"class", e.kind},
                     {"custom_details", e.custom_details}}}});
  }
  return out;
}

std::string email_message(const Event& e, const NotifyEmail& email, const NotifyOptions& options) {
  const auto now = options.clock();
  static std::atomic<unsigned> sequence{0};

  std::string body = e.summary + "\n\n";
  for (const Field& row : e.rows)
    if (!row.value.empty()) body += fmt::format("{:<12}{}\n", row.name, row.value);
  body += e.email_details;
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
  m += "Subject: " + smtp::header_value(cut("[slipway] " + e.summary, 200)) + "\n";
  m += fmt::format("Message-ID: <slipway.{}.{}.{}.{}@{}>\n", e.id, e.kind, epoch, sequence++, host_name(options));
  m += "MIME-Version: 1.0\n";
  m += "Content-Type: text/plain; charset=UTF-8\n";
  m += std::string("Content-Transfer-Encoding: ") + (ascii ? "7bit" : "8bit") + "\n";
  m += "Auto-Submitted: auto-generated\n";
  m += "X-Slipway-Event: " + smtp::header_value(e.kind) + "\n";
  m += "X-Slipway-" + capitalised(e.source) + ": " + smtp::header_value(e.id) + "\n";
  m += "\n" + wrapped;
  return m;
}

std::string sms_form(const Event& e, const NotifySms& sms, std::string_view to) {
  // application/x-www-form-urlencoded: unreserved characters as they are, the rest %XX.
  const auto encode = [](std::string_view v) {
    std::string out;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
        out += static_cast<char>(c);
      else
        out += fmt::format("%{:02X}", c);
    }
    return out;
  };
  return fmt::format("To={}&From={}&Body={}", encode(to), encode(sms.from), encode(cut(e.summary, 320)));
}

std::vector<std::string> configured_channels(const NotifyConfig& config) {
  std::vector<std::string> out;
  if (!config.webhook.empty()) out.emplace_back("webhook");
  if (!config.slack_webhook.empty()) out.emplace_back("slack");
  if (!config.pagerduty_routing_key.empty()) out.emplace_back("pagerduty");
  if (!config.email.smtp.empty()) out.emplace_back("email");
  if (!config.sms.url.empty()) out.emplace_back("sms");
  return out;
}

NotifyConfig only(const NotifyConfig& config, std::string_view channel) {
  NotifyConfig one = config;
  if (channel.empty()) return one;
  if (channel != "webhook") one.webhook.clear();
  if (channel != "slack") one.slack_webhook.clear();
  if (channel != "pagerduty") one.pagerduty_routing_key.clear();
  if (channel != "email") one.email.smtp.clear();
  if (channel != "sms") one.sms.url.clear();
  return one;
}

std::vector<Delivery> notify(const NotifyConfig& config, const Event& event, const NotifyOptions& options) {
  std::vector<Delivery> out;
  if (std::find(config.on.begin(), config.on.end(), event.kind) == config.on.end()) return out;
  register_secret(config.pagerduty_routing_key);
  register_secret(config.email.password);
  register_secret(config.sms.password);
  register_webhook_secret(config.webhook);
  register_webhook_secret(config.slack_webhook);
  using Send = Delivery (*)(const NotifyConfig&, const Event&, const NotifyOptions&);
  std::vector<Send> channels;
  if (!config.webhook.empty()) channels.push_back(send_webhook);
  if (!config.slack_webhook.empty()) channels.push_back(send_slack);
  if (!config.pagerduty_routing_key.empty() && event.alert != Alert::none) channels.push_back(send_pagerduty);
  if (!config.email.smtp.empty()) channels.push_back(send_email);
  if (!config.sms.url.empty()) channels.push_back(send_sms);
  // One thread per channel: a server that hangs until its timeout delays no other channel.
  out.resize(channels.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < channels.size(); ++i)
    threads.emplace_back([&, i] { out[i] = channels[i](config, event, options); });
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace slipway::notify
