// Notifications against real local servers: an HTTP sink for the webhook, Slack and PagerDuty,
// and an SMTP sink for email, each recording what it got.
#include "deploy/announce.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "core/redact.hpp"
#include "notify/smtp.hpp"
#include "process.hpp"
#include "server.hpp"
#include "sinks.hpp"

namespace slipway::deploy {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::HttpSink;
using test::SmtpSink;

// 2026-11-21T09:35:02Z, a Saturday.
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1795253702));

DeployRecord rolled_back_record() {
  DeployRecord r;
  r.id = "d-20261121-0935";
  r.version = "v3";
  r.status = RunStatus::rolled_back;
  r.reason = "verify failed: 2 checks <failed> & more";
  r.user = "alice";
  r.host = "deploy-1";
  r.pid = 4242;
  r.git_sha = "0123456789abcdef0123";
  r.started_at = "2026-11-21T09:35:02Z";
  r.finished_at = "2026-11-21T09:37:10Z";
  r.backup_id = "b-20261121-0935";
  r.migrations_applied = {"20261121_add_loan_notes", "20261121_index_repayments"};
  r.phases = {{"check", PhaseStatus::ok, "", "", 120, "all checks passed", ""},
              {"migrate", PhaseStatus::ok, "", "", 1500, "2 migrations applied", ""},
              {"verify", PhaseStatus::failed, "", "", 3000, "2 checks failed",
               "login-admin: 500\n.hidden line that starts with a dot\n..two dots"}};
  r.rollback = {{"release", PhaseStatus::ok, "", "", 800, "rolled back 1 step", ""}};
  return r;
}

notify::Event event_of(EventKind kind, const DeployRecord& r = rolled_back_record(),
                       const std::vector<std::string>& resolves = {}) {
  return deploy_event(kind, "loans", r, resolves);
}

notify::NotifyOptions options() {
  notify::NotifyOptions o;
  o.clock = [] { return kNow; };
  o.host_name = "test-host";
  o.retry_pause = std::chrono::milliseconds(10);
  return o;
}

NotifyConfig only(std::vector<std::string> on = {"start", "success", "failure", "rollback", "blocked"}) {
  NotifyConfig c;
  c.on = std::move(on);
  c.pagerduty_url = "";
  return c;
}

json::object body_of(const HttpSink::Request& r) {
  return json::parse(r.body).as_object();
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

const notify::Delivery* find(const std::vector<notify::Delivery>& ds, std::string_view channel) {
  for (const auto& d : ds)
    if (d.channel == channel) return &d;
  return nullptr;
}

TEST(NotifyTest, WebhookGetsTheEventAndTheRecordAsJson) {
  HttpSink sink;
  auto config = only();
  config.webhook = sink.url("/hooks/deploys");
  const auto ds = notify::notify(config, event_of(EventKind::rollback), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].channel, "webhook");
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  EXPECT_EQ(ds[0].message, "200 OK");
  EXPECT_EQ(ds[0].attempts, 1);

  const auto got = sink.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/hooks/deploys");
  EXPECT_EQ(got[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(got[0].headers.at("x-slipway-event"), "rollback");
  const auto b = body_of(got[0]);
  EXPECT_EQ(str(b.at("event")), "rollback");
  EXPECT_EQ(str(b.at("project")), "loans");
  EXPECT_EQ(str(b.at("deploy_id")), "d-20261121-0935");
  EXPECT_EQ(str(b.at("version")), "v3");
  EXPECT_EQ(str(b.at("status")), "rolled-back");
  EXPECT_EQ(str(b.at("reason")), "verify failed: 2 checks <failed> & more");
  EXPECT_EQ(str(b.at("sent_at")), "2026-11-21T09:35:02Z");
  EXPECT_EQ(str(b.at("summary")),
            "loans: deploy of v3 failed and was rolled back: verify failed: 2 checks <failed> & more "
            "(d-20261121-0935)");
  const auto& rec = b.at("record").as_object();
  EXPECT_EQ(rec, rolled_back_record().to_json());  // the history record, whole
  EXPECT_EQ(str(rec.at("backup_id")), "b-20261121-0935");
  EXPECT_EQ(rec.at("migrations_applied").as_array().size(), 2u);
  EXPECT_EQ(str(rec.at("phases").as_array().at(2).at("status")), "failed");
}

TEST(NotifyTest, SlackGetsAnIncomingWebhookMessage) {
  HttpSink sink;
  auto config = only();
  config.slack_webhook = sink.url("/services/T000/B000/XXXX");
  const auto ds = notify::notify(config, event_of(EventKind::rollback), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  EXPECT_EQ(ds[0].channel, "slack");
  const auto got = sink.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/services/T000/B000/XXXX");
  const auto b = body_of(got[0]);
  EXPECT_EQ(str(b.at("text")), event_of(EventKind::rollback).summary);
  const auto& blocks = b.at("blocks").as_array();
  ASSERT_GE(blocks.size(), 4u);
  EXPECT_EQ(str(blocks[0].at("type")), "section");
  EXPECT_EQ(str(blocks[0].at("text").at("type")), "mrkdwn");
  // mrkdwn escapes &, < and >.
  EXPECT_EQ(str(blocks[0].at("text").at("text")),
            ":leftwards_arrow_with_hook: *loans: deploy of v3 failed and was rolled back: verify failed: 2 checks "
            "&lt;failed&gt; &amp; more (d-20261121-0935)*");
  const auto& fields = blocks[1].at("fields").as_array();
  EXPECT_EQ(str(fields.at(0).at("text")), "*Version*\nv3");
  EXPECT_EQ(str(fields.at(1).at("text")), "*Status*\nrolled-back");
  EXPECT_EQ(str(fields.at(3).at("text")), "*By*\nalice@deploy-1");
  EXPECT_EQ(str(fields.at(5).at("text")), "*Backup*\nb-20261121-0935");
  EXPECT_EQ(str(fields.at(6).at("text")), "*Migrations applied*\n20261121_add_loan_notes, 20261121_index_repayments");
  EXPECT_EQ(str(blocks[2].at("text").at("text")), "*Reason:* verify failed: 2 checks &lt;failed&gt; &amp; more");
  const std::string phases = str(blocks[3].at("text").at("text"));
  EXPECT_TRUE(phases.starts_with("```✓ check")) << phases;
  EXPECT_NE(phases.find("✗ verify"), std::string::npos) << phases;
  EXPECT_NE(phases.find("rollback:\n  ✓ release"), std::string::npos) << phases;
  EXPECT_EQ(str(blocks.back().at("type")), "context");
}

TEST(NotifyTest, PagerDutyTriggersOnRollbackWithTheDeploysDedupKey) {
  HttpSink sink;
  sink.status = 202;
  sink.reply = R"({"status":"success","message":"Event processed","dedup_key":"x"})";
  auto config = only();
  config.pagerduty_routing_key = "R0UTING0KEY0000000000000000000001";
  config.pagerduty_url = sink.url("/v2/enqueue");
  const auto ds = notify::notify(config, event_of(EventKind::rollback), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].channel, "pagerduty");
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  EXPECT_EQ(ds[0].message, "trigger slipway-loans-d-20261121-0935: 202 OK");
  const auto got = sink.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/v2/enqueue");
  const auto b = body_of(got[0]);
  EXPECT_EQ(str(b.at("routing_key")), "R0UTING0KEY0000000000000000000001");
  EXPECT_EQ(str(b.at("event_action")), "trigger");
  EXPECT_EQ(str(b.at("dedup_key")), "slipway-loans-d-20261121-0935");
  const auto& p = b.at("payload").as_object();
  EXPECT_EQ(str(p.at("summary")), event_of(EventKind::rollback).summary);
  EXPECT_EQ(str(p.at("source")), "deploy-1");
  EXPECT_EQ(str(p.at("severity")), "error");
  EXPECT_EQ(str(p.at("timestamp")), "2026-11-21T09:35:02Z");
  EXPECT_EQ(str(p.at("component")), "loans");
  const auto& d = p.at("custom_details").as_object();
  EXPECT_EQ(str(d.at("deploy_id")), "d-20261121-0935");
  EXPECT_EQ(str(d.at("failed_phase")), "verify");
  EXPECT_EQ(str(d.at("backup_id")), "b-20261121-0935");
  EXPECT_EQ(str(d.at("migrations_applied").as_array().at(1)), "20261121_index_repayments");
  EXPECT_EQ(str(d.at("phases").as_array().at(2)), "verify: failed (3s) 2 checks failed");
}

TEST(NotifyTest, PagerDutyRaisesAFailedRollbackToCritical) {
  auto r = rolled_back_record();
  r.status = RunStatus::rollback_failed;
  r.maintenance_on = true;
  auto bodies = notify::pagerduty_payloads(event_of(EventKind::rollback, r), "k", kNow);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(str(bodies[0].at("payload").at("severity")), "critical");
  EXPECT_NE(str(bodies[0].at("payload").at("summary")).find("ROLLBACK FAILED"), std::string::npos);
  EXPECT_NE(str(bodies[0].at("payload").at("summary")).find("maintenance is still on"), std::string::npos);

  r.status = RunStatus::failed;
  bodies = notify::pagerduty_payloads(event_of(EventKind::failure, r), "k", kNow);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(str(bodies[0].at("event_action")), "trigger");
  EXPECT_EQ(str(bodies[0].at("payload").at("severity")), "error");
  EXPECT_EQ(str(bodies[0].at("payload").at("summary")),
            "loans: deploy of v3 failed at verify: verify failed: 2 checks <failed> & more (d-20261121-0935)");
}

TEST(NotifyTest, PagerDutySuccessResolvesItsOwnKeyAndEarlierFailures) {
  HttpSink sink;
  sink.status = 202;
  auto config = only();
  config.pagerduty_routing_key = "R0UTING0KEY0000000000000000000002";
  config.pagerduty_url = sink.url("/v2/enqueue");
  auto r = rolled_back_record();
  r.id = "d-20261121-1000";
  r.status = RunStatus::succeeded;
  r.phases.pop_back();
  // History, newest first: this deploy, two failures, then the last success (and older ones).
  std::vector<DeployRecord> history(5, r);
  history[1].id = "d-2";
  history[1].status = RunStatus::rolled_back;
  history[2].id = "d-1";
  history[2].status = RunStatus::rollback_failed;
  history[3].id = "d-0";
  history[3].status = RunStatus::succeeded;
  history[4].id = "d-old";
  history[4].status = RunStatus::failed;
  const auto open = open_alerts(history, r.id);
  EXPECT_EQ(open, (std::vector<std::string>{"d-2", "d-1"}));
  auto e = event_of(EventKind::success, r, open);

  const auto ds = notify::notify(config, e, options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  const auto got = sink.requests();
  ASSERT_EQ(got.size(), 3u);
  const std::vector<std::string> keys{"slipway-loans-d-20261121-1000", "slipway-loans-d-2", "slipway-loans-d-1"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto b = body_of(got[i]);
    EXPECT_EQ(str(b.at("event_action")), "resolve");
    EXPECT_EQ(str(b.at("dedup_key")), keys[i]);
    EXPECT_EQ(str(b.at("routing_key")), "R0UTING0KEY0000000000000000000002");
    EXPECT_FALSE(b.contains("payload"));
  }
}

TEST(NotifyTest, PagerDutyGetsNothingOnStartOrBlocked) {
  HttpSink sink;
  auto config = only();
  config.pagerduty_routing_key = "R0UTING0KEY0000000000000000000003";
  config.pagerduty_url = sink.url("/v2/enqueue");
  auto r = rolled_back_record();
  r.status = RunStatus::running;
  EXPECT_TRUE(notify::notify(config, event_of(EventKind::start, r), options()).empty());
  r.status = RunStatus::blocked;
  EXPECT_TRUE(notify::notify(config, event_of(EventKind::blocked, r), options()).empty());
  EXPECT_TRUE(sink.requests().empty());
}

NotifyEmail email_to(const SmtpSink& sink) {
  NotifyEmail e;
  e.smtp = "127.0.0.1:" + std::to_string(sink.port());
  e.from = "Slipway <slipway@example.com>";
  e.to = {"ops@example.com", "lead@example.com"};
  return e;
}

// The headers of a message, up to the blank line; the body after it.
std::pair<std::string, std::string> split_message(const std::string& m) {
  const auto blank = m.find("\r\n\r\n");
  return {m.substr(0, blank + 2), m.substr(blank + 4)};
}

TEST(NotifyTest, EmailSpeaksSmtpWithAuthPlainAndDotStuffing) {
  SmtpSink sink;
  auto config = only();
  config.email = email_to(sink);
  config.email.username = "mailer";
  config.email.password = "correct-horse-battery";
  const auto ds = notify::notify(config, event_of(EventKind::rollback), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].channel, "email");
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  EXPECT_EQ(ds[0].message, "250 2.0.0 Ok: queued as T1");

  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  const auto& s = sessions[0];
  EXPECT_EQ(s.ehlo, "test-host");
  EXPECT_EQ(s.auth_plain, std::string("\0mailer\0correct-horse-battery", 29));
  // libcurl declares the size when the server offers SIZE (and never BODY=8BITMIME).
  EXPECT_TRUE(s.mail_from.starts_with("<slipway@example.com> SIZE=")) << s.mail_from;
  EXPECT_EQ(s.rcpt_to, (std::vector<std::string>{"<ops@example.com>", "<lead@example.com>"}));
  EXPECT_TRUE(s.quit);
  EXPECT_EQ(s.commands.back(), "QUIT");

  // The output tail's lines that start with a dot went over the wire doubled, and came back whole.
  EXPECT_NE(s.raw_data.find("\r\n..hidden line that starts with a dot\r\n"), std::string::npos) << s.raw_data;
  EXPECT_NE(s.raw_data.find("\r\n...two dots\r\n"), std::string::npos) << s.raw_data;
  const auto [headers, body] = split_message(s.message);
  EXPECT_NE(headers.find("Date: Sat, 21 Nov 2026 09:35:02 +0000\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("From: Slipway <slipway@example.com>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("To: ops@example.com, lead@example.com\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Subject: [slipway] loans: deploy of v3 failed and was rolled back: verify failed: 2 "
                         "checks <failed> & more (d-20261121-0935)\r\n"),
            std::string::npos)
      << headers;
  EXPECT_NE(headers.find("Message-ID: <slipway.d-20261121-0935.rollback.1795253702."), std::string::npos) << headers;
  EXPECT_NE(headers.find("@test-host>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Transfer-Encoding: 8bit\r\n"), std::string::npos);
  EXPECT_TRUE(body.starts_with(event_of(EventKind::rollback).summary + "\r\n\r\n")) << body;
  EXPECT_NE(body.find("Version     v3\r\n"), std::string::npos) << body;
  EXPECT_NE(body.find("Backup      b-20261121-0935\r\n"), std::string::npos);
  EXPECT_NE(body.find("Migrations  20261121_add_loan_notes\r\n            20261121_index_repayments\r\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("✗ verify"), std::string::npos);
  EXPECT_NE(body.find("Output of verify (last lines)\r\nlogin-admin: 500\r\n.hidden line"), std::string::npos);
  EXPECT_EQ(s.message.find("correct-horse-battery"), std::string::npos);
}

TEST(NotifyTest, EmailFallsBackToAuthLogin) {
  SmtpSink sink;
  sink.auth = "LOGIN";
  auto config = only();
  config.email = email_to(sink);
  config.email.username = "mailer";
  config.email.password = "correct-horse-battery";
  const auto ds = notify::notify(config, event_of(EventKind::failure), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  const auto s = sink.sessions().at(0);
  EXPECT_EQ(s.login_user, "mailer");
  EXPECT_EQ(s.login_password, "correct-horse-battery");
  EXPECT_TRUE(s.auth_plain.empty());
}

TEST(NotifyTest, EmailWithoutUsernameSkipsAuth) {
  SmtpSink sink;
  auto config = only();
  config.email = email_to(sink);
  const auto ds = notify::notify(config, event_of(EventKind::failure), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  for (const auto& c : sessions[0].commands) EXPECT_FALSE(c.starts_with("AUTH")) << c;
}

// A self-signed certificate and its key in a temporary folder, for `subject_alt_name`
// ("IP:127.0.0.1", "DNS:mail.example.com"); the folder goes with the object.
class Certificate {
 public:
  explicit Certificate(const std::string& subject_alt_name) {
    static int count = 0;
    dir_ =
        fs::temp_directory_path() / ("slipway-notify-tls-" + std::to_string(getpid()) + "-" + std::to_string(count++));
    fs::create_directories(dir_);
    const auto r =
        test::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                   "-days", "2", "-subj", "/CN=slipway test", "-addext", "subjectAltName=" + subject_alt_name},
                  {}, {}, dir_.string());
    ok_ = r.exit_code == 0;
    err_ = r.err;
  }
  ~Certificate() { fs::remove_all(dir_); }
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& err() const { return err_; }
  [[nodiscard]] std::string cert() const { return (dir_ / "cert.pem").string(); }
  [[nodiscard]] std::string key() const { return (dir_ / "key.pem").string(); }
  void serve_on(SmtpSink& sink) const {
    sink.cert_file = cert();
    sink.key_file = key();
  }

 private:
  fs::path dir_;
  bool ok_ = false;
  std::string err_;
};

TEST(NotifyTest, EmailUpgradesWithStarttlsAndVerifiesTheCertificate) {
  const Certificate cert("IP:127.0.0.1");
  ASSERT_TRUE(cert.ok()) << cert.err();
  SmtpSink sink;
  cert.serve_on(sink);
  auto config = only();
  config.email = email_to(sink);
  config.email.tls = "starttls";
  config.email.username = "mailer";
  config.email.password = "correct-horse-battery";

  // Not trusted: the handshake fails and says why.
  auto ds = notify::notify(config, event_of(EventKind::failure), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].ok);
  EXPECT_NE(ds[0].message.find("TLS handshake after STARTTLS failed: "), std::string::npos) << ds[0].message;
  EXPECT_NE(ds[0].message.find("self-signed certificate"), std::string::npos) << ds[0].message;

  auto o = options();
  o.ca_file = cert.cert();
  ds = notify::notify(config, event_of(EventKind::failure), o);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 2u);
  const auto& s = sessions[1];
  EXPECT_TRUE(s.tls);
  EXPECT_TRUE(s.mail_over_tls);
  // EHLO again after the handshake (RFC 3207), AUTH only once protected.
  ASSERT_GE(s.commands.size(), 4u);
  EXPECT_TRUE(s.commands[0].starts_with("EHLO "));
  EXPECT_EQ(s.commands[1], "STARTTLS");
  EXPECT_TRUE(s.commands[2].starts_with("EHLO "));
  EXPECT_TRUE(s.commands[3].starts_with("AUTH PLAIN "));
  EXPECT_EQ(s.auth_plain, std::string("\0mailer\0correct-horse-battery", 29));
  EXPECT_NE(s.message.find("Subject: [slipway] loans: deploy of v3 failed at verify"), std::string::npos);
}

TEST(NotifyTest, EmailOverImplicitTlsArrivesIntactAndVerifiesTheServer) {
  const Certificate cert("IP:127.0.0.1");
  ASSERT_TRUE(cert.ok()) << cert.err();
  SmtpSink sink;
  cert.serve_on(sink);
  sink.implicit_tls = true;
  auto config = only();
  config.email = email_to(sink);
  config.email.tls = "implicit";
  config.email.username = "mailer";
  config.email.password = "correct-horse-battery";
  auto o = options();
  o.ca_file = cert.cert();

  const auto ds = notify::notify(config, event_of(EventKind::rollback), o);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  EXPECT_EQ(ds[0].message, "250 2.0.0 Ok: queued as T1");
  const auto sessions = sink.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  const auto& s = sessions[0];
  EXPECT_TRUE(s.tls);
  EXPECT_TRUE(s.mail_over_tls);
  ASSERT_GE(s.commands.size(), 2u);
  EXPECT_EQ(s.commands[0], "EHLO test-host");  // TLS from the first byte: no STARTTLS
  EXPECT_TRUE(s.commands[1].starts_with("AUTH PLAIN "));
  EXPECT_EQ(s.auth_plain, std::string("\0mailer\0correct-horse-battery", 29));
  EXPECT_EQ(s.rcpt_to, (std::vector<std::string>{"<ops@example.com>", "<lead@example.com>"}));
  EXPECT_TRUE(s.quit);
  // Intact: the headers, the body, and the lines that start with a dot (stuffed on the wire).
  EXPECT_NE(s.raw_data.find("\r\n..hidden line that starts with a dot\r\n"), std::string::npos) << s.raw_data;
  const auto [headers, body] = split_message(s.message);
  std::string built = notify::email_message(event_of(EventKind::rollback), config.email, o);
  built = built.substr(built.find("\n\n") + 2);
  std::string built_crlf;
  for (char c : built) built_crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(body, built_crlf);  // the body as built, byte for byte but for CRLF
  EXPECT_NE(headers.find("Subject: [slipway] loans: deploy of v3 failed and was rolled back"), std::string::npos);
  EXPECT_NE(headers.find("From: Slipway <slipway@example.com>\r\n"), std::string::npos);
  EXPECT_NE(body.find("\r\n.hidden line that starts with a dot\r\n..two dots\r\n"), std::string::npos) << body;
}

TEST(NotifyTest, EmailOverImplicitTlsFailsWithAnUntrustedCertificateOrAnotherHostName) {
  const Certificate self_signed("IP:127.0.0.1");
  const Certificate elsewhere("DNS:mail.example.com");
  ASSERT_TRUE(self_signed.ok() && elsewhere.ok()) << self_signed.err() << elsewhere.err();
  auto config = only();
  config.email.tls = "implicit";
  config.email.username = "mailer";
  config.email.password = "correct-horse-battery";
  for (const auto* cert : {&self_signed, &elsewhere}) {
    SmtpSink sink;
    cert->serve_on(sink);
    sink.implicit_tls = true;
    config.email.smtp = email_to(sink).smtp;
    config.email.from = "slipway@example.com";
    config.email.to = {"ops@example.com"};
    auto o = options();
    if (cert == &elsewhere) o.ca_file = cert->cert();  // trusted, but for mail.example.com only
    const auto ds = notify::notify(config, event_of(EventKind::failure), o);
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_FALSE(ds[0].ok);
    EXPECT_EQ(ds[0].attempts, 1);  // a TLS failure is not retried
    EXPECT_NE(ds[0].message.find("SMTP 127.0.0.1:" + std::to_string(sink.port()) + ": TLS handshake failed: "),
              std::string::npos)
        << ds[0].message;
    EXPECT_NE(ds[0].message.find(cert == &elsewhere ? "127.0.0.1" : "self-signed certificate"), std::string::npos)
        << ds[0].message;
    const auto sessions = sink.sessions(1);
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_TRUE(sessions[0].commands.empty());  // not even EHLO
  }
}

TEST(NotifyTest, EmailRequiresStarttlsWhenAskedAndNeverFallsBackToPlainText) {
  SmtpSink sink;  // no certificate: STARTTLS not offered
  auto config = only();
  config.email = email_to(sink);
  config.email.tls = "starttls";
  config.email.username = "mailer";
  config.email.password = "correct-horse-battery";
  const auto ds = notify::notify(config, event_of(EventKind::failure), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].ok);
  EXPECT_EQ(ds[0].attempts, 1);
  EXPECT_NE(ds[0].message.find("does not offer STARTTLS"), std::string::npos) << ds[0].message;
  const auto sessions = sink.sessions(1);  // libcurl hangs up without QUIT
  ASSERT_EQ(sessions.size(), 1u);
  for (const auto& c : sessions[0].commands) EXPECT_FALSE(c.starts_with("AUTH")) << c;
}

TEST(NotifyTest, EmailErrorQuotesTheServersReply) {
  SmtpSink sink;
  sink.reject = {"<nobody@example.com>"};
  auto config = only();
  config.email = email_to(sink);
  config.email.to = {"ops@example.com", "nobody@example.com"};
  const auto ds = notify::notify(config, event_of(EventKind::failure), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].ok);
  EXPECT_EQ(ds[0].attempts, 1);  // refused, not unreachable: no retry
  EXPECT_EQ(ds[0].message,
            "SMTP 127.0.0.1:" + std::to_string(sink.port()) +
                " refused RCPT TO:<nobody@example.com>: 550 5.1.1 <nobody@example.com>: Recipient address rejected: "
                "no such user");
}

// The channels know nothing of deploys: an event any producer fills (watch's, say) is sent the
// same way, its source in PagerDuty's group and the email's X-Slipway-<Source> header.
TEST(NotifyTest, AnEventWithoutADeployRecordIsSentByEveryChannel) {
  notify::Event e;
  e.kind = "down";
  e.source = "watch";
  e.project = "notes";
  e.id = "api-health";
  e.summary = "notes: api-health is DOWN (3 failures in a row)";
  e.reason = "GET /health -> 502";
  e.fields = {{"Check", "api-health"}, {"Since", ""}};
  e.rows = {{"Check", "api-health"}, {"Last answer", "502 Bad Gateway"}};
  e.alert = notify::Alert::trigger;
  e.dedup_key = "slipway-notes-api-health";
  e.webhook = {{"check", "api-health"}};

  const auto hook = notify::webhook_payload(e, kNow);
  EXPECT_EQ(str(hook.at("event")), "down");
  EXPECT_EQ(str(hook.at("check")), "api-health");
  const auto slack = notify::slack_payload(e);
  EXPECT_EQ(slack.at("blocks").as_array().at(1).at("fields").as_array().size(), 1u) << "empty values are not listed";
  EXPECT_NE(json::serialize(slack).find("*Reason:* GET /health -&gt; 502"), std::string::npos);
  const auto pd = notify::pagerduty_payloads(e, "k", kNow);
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_EQ(str(pd[0].at("payload").at("group")), "watch");
  EXPECT_EQ(str(pd[0].at("dedup_key")), "slipway-notes-api-health");
  auto config = only({"down"});
  config.email.from = "slipway@example.com";
  config.email.to = {"ops@example.com"};
  const std::string mail = notify::email_message(e, config.email, options());
  EXPECT_NE(mail.find("\nX-Slipway-Watch: api-health\n"), std::string::npos) << mail;
  EXPECT_NE(mail.find("\nLast answer 502 Bad Gateway\n"), std::string::npos) << mail;
  e.alert = notify::Alert::none;
  EXPECT_TRUE(notify::pagerduty_payloads(e, "k", kNow).empty());
}

TEST(NotifyTest, AnEventNotListedInOnSendsNothing) {
  HttpSink http;
  SmtpSink smtp;
  auto config = only({"failure", "rollback"});
  config.webhook = http.url("/hook");
  config.slack_webhook = http.url("/slack");
  config.email = email_to(smtp);
  auto r = rolled_back_record();
  r.status = RunStatus::running;
  EXPECT_TRUE(notify::notify(config, event_of(EventKind::start, r), options()).empty());
  r.status = RunStatus::succeeded;
  EXPECT_TRUE(notify::notify(config, event_of(EventKind::success, r), options()).empty());
  // The default `on` leaves blocked out.
  NotifyConfig defaults;
  defaults.webhook = http.url("/hook");
  r.status = RunStatus::blocked;
  EXPECT_TRUE(notify::notify(defaults, event_of(EventKind::blocked, r), options()).empty());
  EXPECT_TRUE(http.requests().empty());
  EXPECT_TRUE(smtp.sessions().empty());
  // ...and a listed one goes to every channel.
  EXPECT_EQ(notify::notify(config, event_of(EventKind::rollback), options()).size(), 3u);
  EXPECT_EQ(http.requests().size(), 2u);
}

TEST(NotifyTest, AChannelThatIsDownFailsAloneAfterOneRetry) {
  HttpSink slack;
  SmtpSink smtp;
  const int down = test::free_port();  // nothing listens there
  auto config = only();
  config.webhook = "http://127.0.0.1:" + std::to_string(down) + "/hook";
  config.slack_webhook = slack.url("/services/T/B/C");
  config.email = email_to(smtp);
  const auto ds = notify::notify(config, event_of(EventKind::rollback), options());
  ASSERT_EQ(ds.size(), 3u);
  const auto* webhook = find(ds, "webhook");
  ASSERT_NE(webhook, nullptr);
  EXPECT_FALSE(webhook->ok);
  EXPECT_EQ(webhook->attempts, 2);
  EXPECT_EQ(webhook->message, "cannot connect to http://127.0.0.1:" + std::to_string(down) + ": Connection refused");
  EXPECT_TRUE(find(ds, "slack")->ok);
  EXPECT_TRUE(find(ds, "email")->ok);
  EXPECT_EQ(slack.requests().size(), 1u);
  EXPECT_EQ(smtp.sessions().size(), 1u);

  config.webhook.clear();
  config.slack_webhook.clear();
  config.email.smtp = "127.0.0.1:" + std::to_string(down);
  const auto mail = notify::notify(config, event_of(EventKind::rollback), options());
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_FALSE(mail[0].ok);
  EXPECT_EQ(mail[0].attempts, 2);
  EXPECT_EQ(mail[0].message, "cannot connect to 127.0.0.1:" + std::to_string(down) + ": Connection refused");
}

TEST(NotifyTest, NoSecretAppearsInAnyDeliveryMessage) {
  const std::string key = "PDKEY7f3a9c0e5b1d4a6c8e2f0b3d5a7c9e1";
  const std::string password = "smtp-Pa55w0rd-7f3a9c";
  const std::string slack_token = "/services/T0SECRET/B0SECRET/xoxb7f3a9c0e5b1d";
  const std::string hook_token = "/hooks/7f3a9c0e5b1d4a6c8e2f0b3d";
  // Servers that repeat the secrets back in their errors, and one that hangs until the timeout.
  HttpSink pagerduty, slack, hung;
  pagerduty.status = slack.status = 400;
  pagerduty.echo = slack.echo = true;
  hung.silent = true;
  SmtpSink smtp;
  smtp.auth_reply = "535 5.7.8 Authentication failed for mailer/" + password;
  auto config = only();
  config.pagerduty_routing_key = key;
  config.pagerduty_url = pagerduty.url("/v2/enqueue");
  config.slack_webhook = slack.url(slack_token);
  config.webhook = hung.url(hook_token);
  config.email = email_to(smtp);
  config.email.username = "mailer";
  config.email.password = password;
  auto o = options();
  o.timeout = std::chrono::milliseconds(300);
  const auto ds = notify::notify(config, event_of(EventKind::rollback), o);
  ASSERT_EQ(ds.size(), 4u);
  for (const auto& d : ds) {
    EXPECT_FALSE(d.ok) << d.channel << ": " << d.message;
    EXPECT_FALSE(d.message.empty()) << d.channel;
    for (const auto& secret : {key, password, slack_token, hook_token, std::string("T0SECRET")})
      EXPECT_EQ(d.message.find(secret), std::string::npos) << d.channel << " leaks " << secret << ": " << d.message;
  }
  // The errors still say what happened.
  EXPECT_NE(find(ds, "pagerduty")->message.find("answered 400 Error"), std::string::npos);
  EXPECT_NE(find(ds, "webhook")->message.find("timed out"), std::string::npos) << find(ds, "webhook")->message;
  EXPECT_NE(find(ds, "email")->message.find("refused AUTH PLAIN: 535 5.7.8 Authentication failed"), std::string::npos)
      << find(ds, "email")->message;
}

TEST(NotifyTest, EventKindFollowsTheRecordsStatus) {
  DeployRecord r;
  const std::vector<std::pair<std::string, EventKind>> cases{
      {"running", EventKind::start},        {"succeeded", EventKind::success},        {"failed", EventKind::failure},
      {"rolled-back", EventKind::rollback}, {"rollback-failed", EventKind::rollback}, {"blocked", EventKind::blocked}};
  for (const auto& [status, kind] : cases) {
    r.status = parse_run_status(status).value();
    EXPECT_EQ(event_for(r), kind) << status;
  }
  r.kind = RecordKind::rollback;
  r.status = RunStatus::succeeded;
  EXPECT_EQ(event_for(r), EventKind::rollback);
}

smtp::Options smtp_options(const SmtpSink& sink) {
  smtp::Options o;
  o.host = "127.0.0.1";
  o.port = std::to_string(sink.port());
  o.helo_name = "test-host";
  o.timeout = std::chrono::milliseconds(2000);
  return o;
}

const smtp::Message kMessage{"a@example.com", {"b@example.com"}, "Subject: x\n\n.one\nline\n"};

TEST(SmtpTest, SendsWithLfLineEndsMadeCrlfAndReturnsTheQueuedReply) {
  SmtpSink sink;
  const auto r = smtp::send(smtp_options(sink), kMessage);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "250 2.0.0 Ok: queued as T1");
  const auto s = sink.sessions().at(0);
  EXPECT_EQ(s.raw_data, "Subject: x\r\n\r\n..one\r\nline\r\n");
  EXPECT_EQ(s.message, "Subject: x\r\n\r\n.one\r\nline\r\n");
}

TEST(SmtpTest, AUserNameWithoutAuthOfferedStopsBeforeMailFrom) {
  SmtpSink sink;
  sink.auth.clear();
  auto o = smtp_options(sink);
  o.username = "mailer";
  o.password = "Pw-4e1f9a7c2b";
  const auto r = smtp::send(o, kMessage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "SMTP 127.0.0.1:" + std::to_string(sink.port()) + " does not offer AUTH, but notify.email.username is set");
  const auto sessions = sink.sessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  for (const auto& c : sessions[0].commands) EXPECT_FALSE(c.starts_with("MAIL")) << c;
}

TEST(SmtpTest, ImplicitTlsToAPlainServerSaysSo) {
  SmtpSink sink;
  auto o = smtp_options(sink);
  o.tls = smtp::Tls::implicit;
  const auto r = smtp::send(o, kMessage);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().unreachable);
  EXPECT_NE(r.error().message.find("TLS handshake failed"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().hint.find("tls = \"starttls\""), std::string::npos) << r.error().hint;
}

TEST(SmtpTest, ThePasswordIsInNoErrorMessage) {
  // Not registered with register_secret(): smtp::send masks it on its own.
  const std::string password = "Sm7p-9c41e0b2d8f6a3";
  const Certificate cert("IP:127.0.0.1");
  ASSERT_TRUE(cert.ok()) << cert.err();
  SmtpSink echo, no_starttls, no_auth, untrusted;
  echo.auth_reply = "535 5.7.8 Authentication failed for mailer/" + password;
  no_auth.auth.clear();
  cert.serve_on(untrusted);
  struct Case {
    const SmtpSink* sink;
    smtp::Tls tls;
    std::string expect;
  };
  const std::vector<Case> cases{{&echo, smtp::Tls::none, "refused AUTH PLAIN: 535 5.7.8"},
                                {&no_starttls, smtp::Tls::starttls, "does not offer STARTTLS"},
                                {&no_auth, smtp::Tls::none, "does not offer AUTH"},
                                {&untrusted, smtp::Tls::starttls, "TLS handshake after STARTTLS failed"}};
  for (const auto& c : cases) {
    auto o = smtp_options(*c.sink);
    o.tls = c.tls;
    o.username = "mailer";
    o.password = password;
    const auto r = smtp::send(o, kMessage);
    ASSERT_FALSE(r) << c.expect;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().render().find(password), std::string::npos) << r.error().render();
  }
  auto o = smtp_options(echo);
  o.port = std::to_string(test::free_port());
  o.username = "mailer";
  o.password = password;
  const auto r = smtp::send(o, kMessage);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().unreachable);
  EXPECT_EQ(r.error().render().find(password), std::string::npos) << r.error().render();
}

TEST(NotifyTest, EmailGoesThroughTheConfiguredProxyOrAllProxy) {
  SmtpSink sink;
  test::ConnectProxy proxy;
  auto config = only();
  config.email = email_to(sink);
  config.email.proxy = proxy.url();
  auto ds = notify::notify(config, event_of(EventKind::failure), options());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  const std::string target = "127.0.0.1:" + std::to_string(sink.port());
  EXPECT_EQ(proxy.targets(), std::vector<std::string>{target});
  EXPECT_EQ(sink.sessions().size(), 1u);

  // Without the key, libcurl's environment variables (all_proxy; no_proxy not set).
  std::map<std::string, std::optional<std::string>> saved;
  for (const char* name : {"all_proxy", "ALL_PROXY", "smtp_proxy", "SMTP_PROXY", "no_proxy", "NO_PROXY"}) {
    const char* v = std::getenv(name);
    saved[name] = v ? std::optional<std::string>(v) : std::nullopt;
    unsetenv(name);
  }
  setenv("all_proxy", proxy.url().c_str(), 1);
  config.email.proxy.clear();
  ds = notify::notify(config, event_of(EventKind::failure), options());
  for (const auto& [name, value] : saved) {
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].ok) << ds[0].message;
  EXPECT_EQ(proxy.targets(), (std::vector<std::string>{target, target}));
  EXPECT_EQ(sink.sessions().size(), 2u);
}

TEST(SmtpTest, HeaderValuesAreOneLineAndEncodedWhenNotAscii) {
  EXPECT_EQ(smtp::header_value("a\r\nBcc: x@y"), "a  Bcc: x@y");
  EXPECT_EQ(smtp::header_value("déploiement"), "=?UTF-8?B?ZMOpcGxvaWVtZW50?=");
  EXPECT_EQ(smtp::rfc5322_date(kNow), "Sat, 21 Nov 2026 09:35:02 +0000");
}

}  // namespace
}  // namespace slipway::deploy
