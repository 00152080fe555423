// slipway.toml: the one file every command reads.
//
// load_config() reads the file, checks every key against the schema below (an unknown key or a
// wrong type is an error at file:line:col, with a "did you mean"), expands ${VAR} from the
// environment and the env file, and resolves paths relative to the file. It collects every
// problem before it stops, so a user fixes the file in one pass.
//
// A value whose ${VAR} is unset is not an error at load time: lint needs no database URL, so an
// unset DATABASE_URL must not stop it. The command that uses the value asks require(), which
// fails with the variable's name and the key's position.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/source.hpp"
#include "core/units.hpp"

namespace slipway {

struct ProjectConfig {
  std::string name;
  std::string env_file;  // resolved path, or empty
};

struct DatabaseConfig {
  std::string url;         // what the app uses; may carry pooler parameters
  std::string direct_url;  // migrations and backups use it when set
};

struct MigrationsConfig {
  std::filesystem::path dir;    // resolved; empty when not configured
  std::string format = "auto";  // auto | prisma | flyway | golang-migrate | plain
  Duration lock_timeout = std::chrono::seconds(5);
  Duration statement_timeout = std::chrono::minutes(15);
  int lock_retries = 5;                                     // attempts after a lock timeout
  Duration retry_backoff = std::chrono::milliseconds(500);  // first wait; doubles, with jitter
  std::string table;                                        // the history table; empty = the tool's own default
};

struct LintConfig {
  std::string fail_on = "dangerous";  // or "review"
  std::uint64_t review_rows = 100'000;
  std::uint64_t dangerous_rows = 1'000'000;
  std::uint64_t review_bytes = 100'000'000;       // key: review_size
  std::uint64_t dangerous_bytes = 1'000'000'000;  // key: dangerous_size
  int postgres_version = 0;                       // the target server's major version; 0 = ask the database, else 15
  std::vector<std::string> disable;               // rule ids that never run
};

struct BackupKeep {
  int last = 3;
  int daily = 7;
  int weekly = 4;
  int monthly = 12;
  int yearly = 0;
};

struct BackupConfig {
  std::filesystem::path repository;
  std::string compression = "zstd:3";
  std::filesystem::path encryption_key_file;
  BackupKeep keep;
  std::string timezone = "UTC";            // IANA name; calendar buckets of `keep` are days in this zone
  int threads = 0;                         // zstd workers; 0 = one per core
  std::vector<std::string> export_tables;  // `backup export` tables when none are named
};

struct GateAdminConfig {
  std::string jwt_secret;                      // HS256/384/512
  std::filesystem::path jwt_public_key;        // PEM, RSA (RS256/384/512) or EC (ES256/384)
  std::filesystem::path jwks_file;             // a JSON Web Key Set with RSA and EC keys
  std::string claim = "role";                  // a dotted path into the token's claims
  std::vector<std::string> values;             // one must be held; empty = the claim must be boolean true
  std::string cookie;                          // a cookie that may carry the token (besides Authorization)
  std::string query_param;                     // a query parameter that may carry it (opt-in; off when empty)
  Duration leeway = std::chrono::seconds(30);  // for exp and nbf
  std::vector<std::string> ips;                // addresses or CIDR ranges that count as admins
  std::string bypass_secret;                   // a cookie holding this value counts as an admin
  std::string bypass_cookie = "slipway_bypass";
};

struct GateConfig {
  std::string listen = "127.0.0.1:8080";
  std::string upstream = "127.0.0.1:3000";
  std::string health_path = "/health";
  std::filesystem::path control_socket;
  std::string admin_listen = "127.0.0.1:9091";
  std::vector<std::string> allow;
  bool admin_writes = false;
  GateAdminConfig admin;
  std::string message = "We are updating the service. Please try again in a few minutes.";
  Duration retry_after = std::chrono::minutes(5);  // the default Retry-After in maintenance
  std::filesystem::path maintenance_page;          // an HTML file; {{message}} and {{retry_after}} are filled in
  std::vector<std::string> security_headers;       // "Name: value" added to every proxied response
  std::string forwarded_proto = "http";            // X-Forwarded-Proto the gate sets
  std::filesystem::path access_log;                // JSON lines; "-" = stdout; empty = off
  std::uint64_t access_log_max_size = 0;           // rotate past this size (0 = never; reopened on SIGHUP)
  int access_log_keep = 5;                         // rotated files kept: access.log.1 ... .N
  std::vector<std::string> trusted_proxies;        // peers whose X-Forwarded-For names the client
  std::filesystem::path state_file;                // empty = gate.state.json beside the control socket
  int threads = 0;                                 // 0 = one per core
  int max_connections = 10'000;
  std::uint64_t max_header_size = 16 * 1024;
  std::uint64_t max_body_size = 100'000'000;
  Duration header_timeout = std::chrono::seconds(10);    // from a request's first byte to its last header
  Duration idle_timeout = std::chrono::seconds(60);      // a keep-alive connection between requests
  Duration upstream_timeout = std::chrono::seconds(60);  // for the upstream's response header
  int switch_healthy = 3;                                // consecutive 2xx a new upstream must answer
  Duration switch_timeout = std::chrono::seconds(30);    // ... within this time
  Duration drain_timeout = std::chrono::seconds(30);     // in-flight requests on the old upstream may finish
};

struct VerifyConfig {
  std::string base_url = "http://127.0.0.1:8080";
};
// The keys [verify] may hold. core reads base_url and reports any other key here, with the rest
// of the file; verify/settings.cpp reads the others.
extern const std::vector<std::string_view> kVerifyKeys;

// One variable of the env schema ([check.env.NAME]); see docs/commands/check.md.
struct CheckEnvVar {
  std::string name;
  std::string type = "string";  // string | int | bool | url | postgres-url | origin | email | enum | duration
  bool required = true;
  std::vector<std::string> values;          // enum: the allowed values
  std::optional<std::string> equals;        // the value must be exactly this (bools compare as bools)
  std::vector<std::string> not_in;          // values that are refused (LOG_LEVEL not debug)
  bool list = false;                        // a comma-separated list, each item of `type`
  std::optional<std::int64_t> min, max;     // int bounds
  std::optional<bool> pooling;              // postgres-url: false = must not carry pooler parameters
  bool secret = false;                      // never printed; strength rules apply
  std::optional<std::int64_t> min_bytes;    // secret: at least this long (default 32 unless `bytes`)
  std::optional<std::int64_t> bytes;        // secret: must decode (hex or base64) to exactly this many bytes
  std::optional<std::int64_t> min_entropy;  // secret: estimated bits (default 128)
  std::string hint;                         // shown when the check fails
  std::vector<std::string> unless_set;      // required, unless one of these is set (DB_HOST for DATABASE_URL)
  Position position;                        // where [check.env.NAME] was written; line 0 for a preset's
};

// A git state's severity: "fail", "warn" or "off".
struct CheckGitConfig {
  std::string branch;  // the expected branch; empty = any
  std::string uncommitted = "fail";
  std::string wrong_branch = "fail";
  std::string unpushed = "warn";
};

struct CheckSecretsConfig {
  bool enabled = true;
  int history = 50;                       // commits of `git log -p` to scan; 0 = the tracked files only
  std::vector<std::string> ignore_paths;  // globs (`*` within a segment, `**` across) of files not scanned
  std::vector<std::string> ignore;        // fingerprints of findings that are known and accepted
  double base64_entropy = 4.5;            // Shannon bits per character above which a value is random-looking
  double hex_entropy = 3.0;
};

struct CheckDatabaseConfig {
  int min_version = 14;
  std::vector<std::string> extensions;
  std::string schema = "public";
  std::string role;  // the app's role; empty = the user in database.url
  std::vector<std::string> table_privileges{"SELECT", "INSERT", "UPDATE", "DELETE"};
  std::vector<std::string> sequence_privileges{"SELECT", "USAGE"};
  std::vector<std::string> schema_privileges{"USAGE"};
  double connections_warn = 0.8;  // warn when connections / max_connections is above this
};

struct CheckBackupConfig {
  bool enabled = true;
  Duration max_age = std::chrono::hours(24);
  bool verified = true;  // the newest backup must have passed `backup verify`
};

struct CheckConfig {
  std::string preset = "node-postgres";  // or "none"
  std::vector<CheckEnvVar> env;          // the user's schema; a name here replaces the preset's
  std::vector<std::string> skip;         // check ids that never run
  CheckGitConfig git;
  CheckSecretsConfig secrets;
  CheckDatabaseConfig database;
  CheckBackupConfig backup;
};

// One of the user's release steps: a shell command with its own rollback.
struct DeployStep {
  std::string name;
  std::string run;           // run with /bin/sh -c in `cwd`
  std::string rollback;      // undoes it; empty = nothing to undo
  std::string after_switch;  // once the new release serves (switched, verified): stop the old one
  Duration timeout = std::chrono::minutes(10);
  std::filesystem::path cwd;  // resolved; empty = the config's folder
  std::map<std::string, std::string> env;
  std::string key;  // "deploy.steps[2]", for messages
};

struct DeployConfig {
  std::string maintenance = "maintenance";      // maintenance | read-only | off
  bool maintenance_without_migrations = false;  // also when no migration is pending
  bool restore_on_rollback = false;             // the schema change is not backward compatible: restore the backup
  std::string upstream;                         // where the new release listens; the gate switches to it
  std::string health_url;                       // without a gate: wait for this to answer 2xx
  Duration health_timeout = std::chrono::seconds(60);
  Duration lock_lease = std::chrono::minutes(10);
  // The release steps change the schema themselves (an app that migrates when it starts): the
  // write hold, the backup, maintenance and the restore on rollback apply as if migrations ran.
  bool release_migrates = false;
  // [deploy.deadlines]: phase -> how long it may run before it is stopped (with its process
  // group) and counted failed. Over kDefaultDeadlines; see deadline().
  std::map<std::string, Duration> deadlines;
  std::vector<DeployStep> steps;

  // The deadline of `phase` ("verify", "backup", ...; "restore" for the database restore).
  [[nodiscard]] Duration deadline(std::string_view phase) const;
};

// The phases a deadline may be set for, with the default of each.
extern const std::vector<std::pair<std::string_view, Duration>> kDefaultDeadlines;

struct NotifyEmail {
  std::string smtp;  // host:port
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password;
  // "starttls" (required, never a plain-text fallback), "implicit" (SMTPS, TLS from the first
  // byte) or "none". Unset in the file: "starttls" with the older `starttls = true`, "implicit"
  // for port 465, else "none".
  std::string tls = "none";
  std::string proxy;  // socks5h://, http://... for the SMTP connection; empty = libcurl's env variables
};

// SMS through a Twilio-compatible API: a form POST of To, From and Body to `url`, with HTTP basic
// auth (Twilio: the account SID and auth token), one request per number in `to`.
struct NotifySms {
  std::string url;  // https://api.twilio.com/2010-04-01/Accounts/<SID>/Messages.json
  std::string username;
  std::string password;
  std::string from;
  std::vector<std::string> to;
};

struct NotifyConfig {
  std::vector<std::string> on = {"start", "success", "failure", "rollback"};
  std::string webhook;        // JSON POST of the event
  std::string slack_webhook;  // Slack incoming-webhook format
  std::string pagerduty_routing_key;
  std::string pagerduty_url = "https://events.pagerduty.com/v2/enqueue";
  NotifyEmail email;
  NotifySms sms;  // watch only: deploys do not text
};

// One [[watch.probe]]: what is probed, how often, and when it alerts (watch/alert.hpp).
struct WatchProbe {
  std::string name;                   // unique; in the alert's dedup key "slipway-<project>-watch-<name>"
  std::string kind = "http";          // http | tcp | tls | postgres | sql | host | metrics
  std::string severity = "critical";  // critical | warning
  std::string url;                    // http, metrics
  std::string method = "GET";         // http
  std::vector<std::pair<std::string, std::string>> headers;  // http
  std::string address;                                       // tcp, tls: host:port
  std::string database_url;                                  // postgres, sql; empty = database.url
  // http: verify's assertions ("status == 200", "body contains \"ok\"", "json $.status == \"ok\"",
  // "duration < 500ms"), each with where it was written; none = "status < 400".
  std::vector<std::pair<std::string, std::string>> conditions;
  // tls (and http on an https URL): the name checked against the certificate (default: the
  // address's host), CAs trusted besides the system's, and the fewest days left before expiry;
  // unset on an http probe = not checked, on a tls probe = 14.
  std::string server_name;
  std::filesystem::path ca_file;
  std::optional<std::int64_t> cert_days;
  // sql: one SELECT answering one row with one number, and the rule it must keep,
  // "value < 5" (parsed at load: `value`, an operator, a number).
  std::string query;
  std::string condition;
  std::string condition_op;  // < <= > >= == !=
  double condition_value = 0;
  // host: cpu | memory | disk, failing above `above` percent; disk: `path` and, when `forecast` is
  // longer than 0, failing when the free space's trend reaches zero within it.
  std::string check;
  double above = 80;
  std::string path = "/";
  Duration forecast{0};
  // metrics: the Prometheus endpoint (url), the request counter (its `status` or `code` label
  // names the answer) and the latency histogram; judged over `window` once it holds
  // `min_requests`. A threshold of 0 is not judged.
  std::string requests = "slipway_gate_requests_total";
  std::string duration = "slipway_gate_upstream_latency_seconds";
  Duration window = std::chrono::minutes(5);
  double error_rate_above = 5;  // percent
  Duration p50_above{0};
  Duration p95_above = std::chrono::seconds(2);
  Duration p99_above{0};
  std::int64_t min_requests = 20;
  // metrics, after a deploy: for `post_deploy`, compared with the values just before it; an
  // error rate up by more than `regression_error_rate` points, or a p95 more than
  // `regression_p95` times the one before (and `regression_p95_min` slower) is a regression,
  // said once per deploy. 0 turns each off.
  Duration post_deploy = std::chrono::minutes(15);
  double regression_error_rate = 2;  // percentage points
  double regression_p95 = 2;         // times the baseline
  Duration regression_p95_min = std::chrono::milliseconds(50);
  Duration every = std::chrono::minutes(5);
  Duration retry_every = std::chrono::seconds(30);
  Duration down_after = std::chrono::minutes(2);
  int up_after = 2;
  Duration repeat = std::chrono::minutes(30);   // critical reminders while firing; 0 = none
  Duration timeout = std::chrono::seconds(10);  // per probe: connect, request, query
  std::string depends_on;                       // a probe that, when failing, makes this one "unreachable"
  bool deploy_window = true;                    // quiet during deploys' and the gate's maintenance windows
  std::string key;                              // "watch.probe[2]", for messages
};

struct WatchConfig {
  std::string listen;  // host:port of /health and /metrics; empty = none
  // Probe history (watch/history.hpp): raw results are kept this long, then folded into hourly
  // rows, which are kept (with the alert events) for history_keep.
  Duration history_raw = std::chrono::hours(48);
  Duration history_keep = std::chrono::hours(24 * 90);
  std::string log_format = "text";  // text | json: `watch run`'s log lines on stderr
  std::vector<WatchProbe> probes;
  Duration lease = std::chrono::seconds(15);             // the leader's lease between two `watch run`
  Duration window_max = std::chrono::hours(2);           // a deploy's or the gate's window expires after this
  Duration store_down_after = std::chrono::seconds(30);  // the state store failing this long is an alert
  int flap_window = 20;                                  // results looked at for flapping
  double flap_threshold = 50;                            // % of them that change: flapping; settled below half of it
  Duration group_wait = Duration::zero();                // notices decided this close together go as one message
  int rate_limit = 0;                                    // messages per channel per hour; 0 = no limit
  // The channels of each severity (webhook, slack, pagerduty, email, sms); empty = every
  // configured channel (sms: critical only).
  std::vector<std::string> route_critical;
  std::vector<std::string> route_warning;
};

struct StateConfig {
  std::string url;  // a SQLite path (resolved) or postgresql://...
};
// Whether `url` names a PostgreSQL database (postgres:// or postgresql://) rather than a file.
bool is_postgres_url(std::string_view url);

struct ConfigDocument;  // core/config_reader.hpp

struct Config {
  std::filesystem::path file;  // empty when running on defaults
  std::filesystem::path root;  // where relative paths start: the file's folder, or the cwd
  // Where [verify] and its flow files are read from instead of `file` (`slipway verify
  // --verify-config`, a deploy's recorded copy); empty: `file`.
  std::filesystem::path verify_file;

  ProjectConfig project;
  DatabaseConfig database;
  MigrationsConfig migrations;
  LintConfig lint;
  BackupConfig backup;
  GateConfig gate;
  VerifyConfig verify;
  StateConfig state;
  CheckConfig check;
  DeployConfig deploy;
  NotifyConfig notify;
  WatchConfig watch;

  // The parsed file, so that a module reading its own section ([verify]) reads it from here
  // instead of reading and parsing the file again; null when running on defaults.
  std::shared_ptr<const ConfigDocument> document;

  // Dotted key -> where it was written, for messages about values.
  std::map<std::string, Position> positions;
  // Dotted key -> the ${VAR}s its value referenced that were unset.
  std::map<std::string, std::vector<std::string>> unresolved;

  // "slipway.toml:5:7" for a key that was written, else the file (or "defaults").
  [[nodiscard]] std::string where(const std::string& key) const;
  // Fails when `key`'s value referenced an unset variable, naming it and the position.
  [[nodiscard]] Result<void> require(const std::string& key) const;
};

using ConfigErrors = std::vector<Error>;

// Loads `path`. Errors are every problem found, each with file:line:col.
tl::expected<Config, ConfigErrors> load_config(const std::filesystem::path& path, const Environment& env);
// Parses TOML text as if read from `path` (tests and fuzzers use this).
tl::expected<Config, ConfigErrors> parse_config(std::string_view text, const std::filesystem::path& path,
                                                const Environment& env);
// The defaults, rooted at `root`, for running without a slipway.toml.
Config default_config(const std::filesystem::path& root);

// The config a command should use: `explicit_path` when given (it must exist), else
// ./slipway.toml when present, else defaults. `env_file` (from --env-file) overrides
// project.env_file.
tl::expected<Config, ConfigErrors> find_and_load_config(const std::optional<std::filesystem::path>& explicit_path,
                                                        const std::optional<std::string>& env_file);

}  // namespace slipway
