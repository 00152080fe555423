// The proxy: Asio C++20 coroutines, one io_context per thread.
//
// Each proxy thread owns an io_context, its client sessions and its own pool of idle upstream
// connections, so nothing on the request path takes a lock. The acceptor hands each new
// connection to the threads in turn. A session is one coroutine:
//
//   wait for bytes (idle_timeout) -> read the header (header_timeout, max_header_size)
//   -> check it (smuggling) -> decide (mode, admin) -> answer 503/health, or forward:
//      small bodies are read whole and sent in one write; large or chunked ones stream through
//      a fixed buffer (buffer_body), both ways -> return the upstream connection to the pool.
//
// An upgrade answered with 101 turns the session into a byte tunnel (WebSocket).
// A pooled connection the upstream closed meanwhile fails on first use; the request is then
// retried once on a fresh connection (only when nothing of the answer was read).
#include "gate/proxy.hpp"

#include <chrono>
#include <deque>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "gate/http.hpp"

namespace slipway::gate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
// Every coroutine, socket and stream runs on its worker's io_context, named by its concrete
// executor type: the default (any_io_executor) is type-erased, and copying, comparing and
// destroying it on every operation showed up in perf.
using Executor = asio::io_context::executor_type;
template <typename T>
using awaitable = asio::awaitable<T, Executor>;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Stream = beast::basic_stream<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using namespace asio::experimental::awaitable_operators;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable_t<Executor>{});
using clock = std::chrono::steady_clock;

constexpr std::size_t kWholeBody = 256 * 1024;  // bodies up to this size are read whole
constexpr std::size_t kPoolSize = 128;          // idle upstream connections per thread and upstream
constexpr auto kConnectTimeout = std::chrono::seconds(5);

struct UpstreamConnection {
  explicit UpstreamConnection(const Executor& ex) : stream(ex) {}
  Stream stream;
  beast::flat_buffer buffer;
  std::string out;  // a header being written: the request to the upstream, then its answer to the client
};
using Upstream = std::unique_ptr<UpstreamConnection>;

// Counts something for as long as it lives.
class Counted {
 public:
  explicit Counted(std::atomic<int>& n) : n_(&n) { n_->fetch_add(1, std::memory_order_relaxed); }
  ~Counted() {
    if (n_) n_->fetch_sub(1, std::memory_order_relaxed);
  }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

 private:
  std::atomic<int>* n_;
};

std::array<unsigned char, 16> address_bytes(const asio::ip::address& a) {
  if (a.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Appends a header as Beast's serializer writes it, in one piece: one buffer to send instead of
// one per field, and no serializer walking a buffer sequence of buffer sequences.
template <bool isRequest>
void append_header(std::string& out, const http::header<isRequest>& h) {
  const char version[] = {char('0' + h.version() / 10), '.', char('0' + h.version() % 10)};
  if constexpr (isRequest) {
    out += sv(h.method_string());
    out += ' ';
    out += sv(h.target());
    out += " HTTP/";
    out.append(version, 3);
  } else {
    const unsigned code = h.result_int();
    const char status[] = {' ', char('0' + code / 100), char('0' + code / 10 % 10), char('0' + code % 10), ' '};
    out += "HTTP/";
    out.append(version, 3);
    out.append(status, 5);
    const auto reason = h.reason();
    out += sv(reason.empty() ? http::obsolete_reason(h.result()) : reason);
  }
  out += "\r\n";
  for (const auto& f : h) {
    out += sv(f.name_string());
    out += ": ";
    out += sv(f.value());
    out += "\r\n";
  }
  out += "\r\n";
}

class Worker {
 public:
  Worker(Gate& gate, std::size_t index)
      : gate_(gate),
        metrics_(gate.metrics().shard(index)),
        security_headers_(parse_security_headers(gate.config().security_headers)) {}

  asio::io_context& context() { return ioc_; }
  void run() { ioc_.run(); }
  void stop() { ioc_.stop(); }

  awaitable<void> session(Socket socket);
  awaitable<void> admin_session(Socket socket);

 private:
  struct Exchange;  // one request's facts, for the access log and metrics

  const Snapshot& current();
  awaitable<Upstream> connect(beast::error_code& ec);
  Upstream take_idle();
  void give_back(Upstream c, std::uint64_t version);

  awaitable<bool> handle(Stream& client, beast::flat_buffer& buffer, http::request_parser<http::empty_body>& parser,
                         const std::string& client_ip, const std::array<unsigned char, 16>& client_bytes);
  template <typename Body>
  awaitable<bool> forward(Stream& client, beast::flat_buffer& client_buffer, http::request<Body>& request, Exchange& x,
                          const Snapshot& snap);
  awaitable<bool> forward_streaming(Stream& client, beast::flat_buffer& client_buffer,
                                    http::request_parser<http::empty_body>& parser, Exchange& x, const Snapshot& snap);
  awaitable<bool> relay_response(Stream& client, beast::flat_buffer& client_buffer, Upstream up,
                                 http::response_parser<http::empty_body>& rp, Exchange& x);
  awaitable<bool> relay_streaming(Stream& client, Upstream up, http::response_parser<http::empty_body>& rp, Exchange& x,
                                  bool keep, bool upstream_keep, std::uint64_t version);
  awaitable<void> tunnel(Stream& client, beast::flat_buffer& client_buffer, Upstream up);
  awaitable<bool> reply(Stream& client, unsigned version, http::status status, std::string_view content_type,
                        std::string_view body, bool keep_alive, Exchange& x, std::int64_t retry_after = 0);
  void record(const Exchange& x);

  asio::io_context ioc_{1};  // first: destroyed last, after everything that uses it
  Gate& gate_;
  Metrics::Shard& metrics_;
  std::vector<SecurityHeader> security_headers_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::uint64_t version_ = 0;
  tcp::endpoint endpoint_;
  std::string endpoint_error_;
  std::deque<Upstream> idle_;  // to snapshot_'s upstream
  Rejection rejection_json_;   // snapshot_'s 503 bodies, rendered once per change
  Rejection rejection_html_;
};

struct Worker::Exchange {
  clock::time_point start = clock::now();
  std::string_view client_ip;  // the session's, which outlives the exchange
  std::string method;          // method and target: copied only when the access log is on
  std::string target;
  unsigned status = 0;
  std::uint64_t bytes = 0;
  bool admin = false;
  bool upstream = false;
  Mode mode = Mode::normal;
  bool head = false;
  bool keep_alive = false;  // what the client asked for
  unsigned version = 11;    // the client's HTTP version
};

const Snapshot& Worker::current() {
  const std::uint64_t v = gate_.version();
  if (v != version_ || !snapshot_) {
    auto next = gate_.snapshot();
    if (!snapshot_ || next->upstream != snapshot_->upstream) {
      idle_.clear();  // connections to the old upstream close
      endpoint_error_.clear();
      beast::error_code ec;
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(next->address.host, std::to_string(next->address.port), ec);
      if (ec || results.empty()) {
        endpoint_error_ = ec ? ec.message() : "no address";
      } else {
        endpoint_ = results.begin()->endpoint();
      }
    }
    snapshot_ = std::move(next);
    version_ = v;
    rejection_json_ =
        render_rejection(snapshot_->mode, snapshot_->message, snapshot_->retry_after, false, gate_.page());
    rejection_html_ = render_rejection(snapshot_->mode, snapshot_->message, snapshot_->retry_after, true, gate_.page());
  }
  return *snapshot_;
}

Upstream Worker::take_idle() {
  while (!idle_.empty()) {
    Upstream c = std::move(idle_.back());
    idle_.pop_back();
    if (c->stream.socket().is_open()) return c;
  }
  return nullptr;
}

void Worker::give_back(Upstream c, std::uint64_t version) {
  if (version != version_ || idle_.size() >= kPoolSize || gate_.stopping.load(std::memory_order_relaxed)) return;
  c->buffer.clear();
  idle_.push_back(std::move(c));
}

awaitable<Upstream> Worker::connect(beast::error_code& ec) {
  if (!endpoint_error_.empty()) {
    ec = asio::error::host_not_found;
    co_return nullptr;
  }
  auto c = std::make_unique<UpstreamConnection>(ioc_.get_executor());
  c->stream.expires_after(kConnectTimeout);
  auto [e] = co_await c->stream.async_connect(endpoint_, nothrow);
  ec = e;
  if (ec) co_return nullptr;
  c->stream.socket().set_option(tcp::no_delay(true), ec);
  ec = {};
  co_return c;
}

void Worker::record(const Exchange& x) {
  metrics_.request(x.mode, x.status);
  if (auto* log = gate_.access_log()) {
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - x.start).count();
    log->write({x.client_ip, x.method, x.target, x.status, x.mode,
                x.upstream ? std::string_view(snapshot_->upstream) : "", ms, x.bytes, x.admin});
  }
}

awaitable<bool> Worker::reply(Stream& client, unsigned version, http::status status, std::string_view content_type,
                              std::string_view body, bool keep_alive, Exchange& x, std::int64_t retry_after) {
  // The body is not copied: `body` outlives the write (a temporary lives to the end of the co_await).
  http::response<http::span_body<const char>> res{status, version == 10 ? 10u : 11u};
  res.set(http::field::server, "slipway-gate");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  if (retry_after > 0) res.set(http::field::retry_after, std::to_string(retry_after));
  for (const auto& h : security_headers_) res.set(h.name, h.value);
  x.status = static_cast<unsigned>(status);
  x.bytes = x.head ? 0 : body.size();
  res.content_length(body.size());
  if (!x.head) res.body() = {body.data(), body.size()};  // HEAD: the header says how long the body would be
  res.keep_alive(keep_alive);
  std::string head;
  append_header(head, res.base());
  const std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(res.body().data(), res.body().size())};
  client.expires_after(gate_.config().idle_timeout);
  auto [ec, n] = co_await asio::async_write(client, out, nothrow);
  record(x);
  co_return !ec && keep_alive;
}

awaitable<void> Worker::session(Socket socket) {
  Counted connection(gate_.connections);
  beast::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  socket.set_option(tcp::no_delay(true), ec);
  const std::string client_ip = remote.address().to_string();
  const auto client_bytes = address_bytes(remote.address());
  Stream client(std::move(socket));
  beast::flat_buffer buffer;
  const auto& cfg = gate_.config();
  while (!gate_.stopping.load(std::memory_order_relaxed)) {
    if (buffer.size() == 0) {
      client.expires_after(cfg.idle_timeout);
      auto [e, n] = co_await client.async_read_some(buffer.prepare(4096), nothrow);
      if (e) co_return;
      buffer.commit(n);
    }
    client.expires_after(cfg.header_timeout);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.max_header_size, UINT32_MAX)));
    parser.body_limit(cfg.max_body_size);
    auto [e, n] = co_await http::async_read_header(client, buffer, parser, nothrow);
    if (e) {
      if (e == http::error::end_of_stream || e == beast::error::timeout || e == asio::error::eof ||
          e == asio::error::connection_reset) {
        co_return;
      }
      Exchange x;
      x.client_ip = client_ip;
      if (e == http::error::body_limit) {
        co_await reply(client, 11, http::status::payload_too_large, "text/plain", "request body too large\n", false, x);
      } else if (e == http::error::header_limit) {
        co_await reply(client, 11, http::status::request_header_fields_too_large, "text/plain",
                       "request header too large\n", false, x);
      } else {
        co_await reply(client, 11, http::status::bad_request, "text/plain",
                       fmt::format("bad request: {}\n", e.message()), false, x);
      }
      break;  // to the lingering close: the client may still be sending what we refused
    }
    Counted active(gate_.active);
    const bool keep = co_await handle(client, buffer, parser, client_ip, client_bytes);
    if (!keep) break;
  }
  // A lingering close, as nginx does: stop sending, then read and drop what the client still
  // sends for a moment. Closing with unread data would reset the connection, and the client
  // could lose the 413 or 400 it was sent before reading it.
  beast::error_code ignored;
  client.socket().shutdown(Socket::shutdown_send, ignored);
  std::array<char, 16 * 1024> sink;
  std::size_t drained = 0;
  while (drained < 8 * 1024 * 1024) {
    client.expires_after(std::chrono::seconds(2));
    auto [le, ln] = co_await client.async_read_some(asio::buffer(sink), nothrow);
    if (le) break;
    drained += ln;
  }
}

awaitable<bool> Worker::handle(Stream& client, beast::flat_buffer& buffer,
                               http::request_parser<http::empty_body>& parser, const std::string& client_ip,
                               const std::array<unsigned char, 16>& client_bytes) {
  auto& req = parser.get();
  const auto& cfg = gate_.config();
  Exchange x;
  x.client_ip = client_ip;
  const std::string_view method = sv(req.method_string());
  const std::string_view target = sv(req.target());
  if (gate_.access_log()) {  // the request's own strings change when it is rewritten for the upstream
    x.method = method;
    x.target = target;
  }
  x.head = req.method() == http::verb::head;
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive() && !gate_.stopping.load(std::memory_order_relaxed);
  x.keep_alive = keep_alive;
  x.version = version;
  const bool chunked = parser.chunked();
  const auto length = parser.content_length();
  const bool has_body = chunked || (length && *length > 0);

  if (auto why = check_request(req, chunked); !why.empty()) {
    co_return co_await reply(client, version, http::status::bad_request, "text/plain",
                             fmt::format("bad request: {}\n", why), false, x);
  }
  if (length && *length > cfg.max_body_size) {
    co_return co_await reply(client, version, http::status::payload_too_large, "text/plain", "request body too large\n",
                             false, x);
  }

  const Snapshot& snap = current();
  x.mode = snap.mode;
  const auto is_admin = [&] {
    AdminCheck::Request r;
    r.authorization = sv(req[http::field::authorization]);
    r.cookies = sv(req[http::field::cookie]);
    r.client = client_bytes;
    r.has_client = true;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    x.admin = gate_.admin().is_admin(r, now);
    return x.admin;
  };
  const Action action = decide(snap.mode, gate_.rules(), method, target, is_admin);

  if (action != Action::pass) {
    // The gate answers; a body the client sends along is read and dropped (or the connection
    // closes when it is large), so the next request on the connection starts in the right place.
    bool keep = keep_alive;
    if (has_body) {
      if (chunked || *length > kWholeBody) {
        keep = false;
      } else {
        http::request_parser<http::string_body> body{std::move(parser)};
        client.expires_after(cfg.idle_timeout);
        auto [e, n] = co_await http::async_read(client, buffer, body, nothrow);
        if (e) keep = false;
      }
    }
    if (action == Action::health) {
      co_return co_await reply(client, version, http::status::ok, "application/json", "{\"status\":\"maintenance\"}",
                               keep, x);
    }
    metrics_.rejected.fetch_add(1, std::memory_order_relaxed);
    const Rejection& page = wants_html(sv(req[http::field::accept])) ? rejection_html_ : rejection_json_;
    co_return co_await reply(client, version, http::status::service_unavailable, page.content_type, page.body, keep, x,
                             snap.retry_after);
  }

  const bool upgrade = is_upgrade(req);
  rewrite_request(req, {client_ip, cfg.forwarded_proto, snap.upstream}, upgrade);
  x.upstream = true;
  if (!has_body) {
    bool keep = co_await forward(client, buffer, req, x, snap);
    co_return keep&& keep_alive;
  }
  if (!chunked && *length <= kWholeBody) {
    http::request_parser<http::string_body> body{std::move(parser)};
    body.body_limit(cfg.max_body_size);
    client.expires_after(cfg.idle_timeout);
    auto [e, n] = co_await http::async_read(client, buffer, body, nothrow);
    if (e) co_return false;
    bool keep = co_await forward(client, buffer, body.get(), x, snap);
    co_return keep&& keep_alive;
  }
  bool keep = co_await forward_streaming(client, buffer, parser, x, snap);
  co_return keep&& keep_alive;
}

// A request held whole in memory: sent on a pooled connection, and once more on a fresh one
// when the pooled one turns out to be closed.
template <typename Body>
awaitable<bool> Worker::forward(Stream& client, beast::flat_buffer& client_buffer, http::request<Body>& request,
                                Exchange& x, const Snapshot& snap) {
  const auto& cfg = gate_.config();
  Counted in_flight(*snap.in_flight);
  const bool keep_alive = request.keep_alive();
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    Upstream up = attempt == 0 ? take_idle() : nullptr;
    const bool reused = up != nullptr;
    if (!up) up = co_await connect(ec);
    if (!up) {
      co_return co_await reply(client, request.version(), http::status::bad_gateway, "text/plain",
                               fmt::format("the upstream {} is unreachable: {}\n", snap.upstream, ec.message()),
                               keep_alive, x);
    }
    const auto sent = clock::now();
    up->out.clear();
    append_header(up->out, request.base());
    std::array<asio::const_buffer, 2> out{asio::buffer(up->out), asio::const_buffer()};
    if constexpr (std::is_same_v<Body, http::string_body>) out[1] = asio::buffer(request.body());
    up->stream.expires_after(cfg.upstream_timeout);
    auto [we, wn] = co_await asio::async_write(up->stream, out, nothrow);
    http::response_parser<http::empty_body> rp;
    rp.header_limit(64 * 1024);
    rp.body_limit(boost::none);
    if (x.head) rp.skip(true);
    if (!we) {
      auto [re, rn] = co_await http::async_read_header(up->stream, up->buffer, rp, nothrow);
      we = re;
    }
    if (we) {
      if (reused && !rp.got_some()) continue;  // a stale pooled connection: once more, fresh
      const bool timeout = we == beast::error::timeout;
      co_return co_await reply(client, request.version(),
                               timeout ? http::status::gateway_timeout : http::status::bad_gateway, "text/plain",
                               fmt::format("the upstream {} failed: {}\n", snap.upstream, we.message()), keep_alive, x);
    }
    metrics_.upstream_latency(std::chrono::duration<double>(clock::now() - sent).count());
    co_return co_await relay_response(client, client_buffer, std::move(up), rp, x);
  }
  co_return false;
}

// A large or chunked request body streams through a fixed buffer: no retry is possible.
awaitable<bool> Worker::forward_streaming(Stream& client, beast::flat_buffer& client_buffer,
                                          http::request_parser<http::empty_body>& parser, Exchange& x,
                                          const Snapshot& snap) {
  const auto& cfg = gate_.config();
  Counted in_flight(*snap.in_flight);
  http::request_parser<http::buffer_body> p{std::move(parser)};
  p.body_limit(cfg.max_body_size);
  auto& req = p.get();
  const unsigned version = req.version();
  beast::error_code ec;
  Upstream up = take_idle();
  if (!up) up = co_await connect(ec);
  if (!up) {
    co_return co_await reply(client, version, http::status::bad_gateway, "text/plain",
                             fmt::format("the upstream {} is unreachable: {}\n", snap.upstream, ec.message()), false,
                             x);
  }
  const auto sent = clock::now();
  req.body().data = nullptr;
  req.body().more = true;
  http::request_serializer<http::buffer_body> sr{req};
  up->stream.expires_after(cfg.upstream_timeout);
  auto [he, hn] = co_await http::async_write_header(up->stream, sr, nothrow);
  if (he) {
    co_return co_await reply(client, version, http::status::bad_gateway, "text/plain", "the upstream failed\n", false,
                             x);
  }
  std::array<char, 16384> chunk;
  do {
    if (!p.is_done()) {
      req.body().data = chunk.data();
      req.body().size = chunk.size();
      client.expires_after(cfg.idle_timeout);
      auto [re, rn] = co_await http::async_read(client, client_buffer, p, nothrow);
      if (re == http::error::need_buffer) re = {};
      if (re == http::error::body_limit) {
        co_return co_await reply(client, version, http::status::payload_too_large, "text/plain",
                                 "request body too large\n", false, x);
      }
      if (re) co_return false;
      req.body().size = chunk.size() - req.body().size;
      req.body().data = chunk.data();
      req.body().more = !p.is_done();
    } else {
      req.body().data = nullptr;
      req.body().size = 0;
    }
    up->stream.expires_after(cfg.upstream_timeout);
    auto [we, wn] = co_await http::async_write(up->stream, sr, nothrow);
    if (we == http::error::need_buffer) we = {};
    if (we) {
      co_return co_await reply(client, version, http::status::bad_gateway, "text/plain", "the upstream failed\n", false,
                               x);
    }
  } while (!p.is_done() && !sr.is_done());

  http::response_parser<http::empty_body> rp;
  rp.header_limit(64 * 1024);
  rp.body_limit(boost::none);
  up->stream.expires_after(cfg.upstream_timeout);
  auto [re, rn] = co_await http::async_read_header(up->stream, up->buffer, rp, nothrow);
  if (re) {
    co_return co_await reply(client, version, http::status::bad_gateway, "text/plain", "the upstream failed\n", false,
                             x);
  }
  metrics_.upstream_latency(std::chrono::duration<double>(clock::now() - sent).count());
  co_return co_await relay_response(client, client_buffer, std::move(up), rp, x);
}

awaitable<bool> Worker::relay_response(Stream& client, beast::flat_buffer& client_buffer, Upstream up,
                                       http::response_parser<http::empty_body>& rp, Exchange& x) {
  const auto& cfg = gate_.config();
  auto& res = rp.get();
  x.status = res.result_int();
  const bool upstream_keep = res.keep_alive();
  const std::uint64_t version = version_;

  if (res.result() == http::status::switching_protocols) {
    // The upstream accepted the upgrade: pass the 101 on, then carry bytes both ways.
    http::response<http::empty_body> head{std::move(res)};
    client.expires_after(cfg.idle_timeout);
    auto [e, n] = co_await http::async_write(client, head, nothrow);
    record(x);
    if (!e) co_await tunnel(client, client_buffer, std::move(up));
    co_return false;
  }

  bool keep = x.keep_alive && !gate_.stopping.load(std::memory_order_relaxed);
  res.version(11);
  const bool whole = rp.is_done() || (!rp.chunked() && rp.content_length() && *rp.content_length() <= kWholeBody);
  if (!whole && x.version == 10) {
    // An HTTP/1.0 client cannot read chunks: send the body raw and close.
    res.chunked(false);
    keep = false;
  } else if (!whole && !rp.chunked() && !rp.content_length()) {
    // Read-until-close from the upstream: chunk it for the client.
    res.chunked(true);
  }
  rewrite_response(res, keep, security_headers_);
  if (keep && x.version == 10) res.set(http::field::connection, "keep-alive");

  if (whole) {
    up->out.clear();
    if (rp.is_done()) {
      append_header(up->out, res.base());
      client.expires_after(cfg.idle_timeout);
      auto [e, n] = co_await asio::async_write(client, asio::buffer(up->out), nothrow);
      if (e) keep = false;
    } else {
      http::response_parser<http::string_body> sp{std::move(rp)};
      up->stream.expires_after(cfg.upstream_timeout);
      auto [re, rn] = co_await http::async_read(up->stream, up->buffer, sp, nothrow);
      if (re) {
        record(x);
        co_return false;
      }
      const auto& body = sp.get().body();
      append_header(up->out, sp.get().base());
      x.bytes = body.size();
      const std::array<asio::const_buffer, 2> out{asio::buffer(up->out), asio::buffer(body)};
      client.expires_after(cfg.idle_timeout);
      auto [e, n] = co_await asio::async_write(client, out, nothrow);
      if (e) keep = false;
    }
    record(x);
    if (upstream_keep) give_back(std::move(up), version);
    co_return keep;
  }
  co_return co_await relay_streaming(client, std::move(up), rp, x, keep, upstream_keep, version);
}

// A large, chunked or read-until-close answer streams through a fixed buffer (in a coroutine of
// its own, so that the buffer is not part of every answer's coroutine frame).
awaitable<bool> Worker::relay_streaming(Stream& client, Upstream up, http::response_parser<http::empty_body>& rp,
                                        Exchange& x, bool keep, bool upstream_keep, std::uint64_t version) {
  const auto& cfg = gate_.config();
  http::response_parser<http::buffer_body> p{std::move(rp)};
  auto& out = p.get();
  out.body().data = nullptr;
  out.body().more = true;
  http::response_serializer<http::buffer_body> sr{out};
  client.expires_after(cfg.idle_timeout);
  auto [he, hn] = co_await http::async_write_header(client, sr, nothrow);
  if (he) {
    record(x);
    co_return false;
  }
  std::array<char, 16384> chunk;
  do {
    if (!p.is_done()) {
      out.body().data = chunk.data();
      out.body().size = chunk.size();
      up->stream.expires_after(cfg.idle_timeout);
      auto [re, rn] = co_await http::async_read(up->stream, up->buffer, p, nothrow);
      if (re == http::error::need_buffer) re = {};
      if (re) {
        record(x);
        co_return false;
      }
      out.body().size = chunk.size() - out.body().size;
      x.bytes += out.body().size;
      out.body().data = chunk.data();
      out.body().more = !p.is_done();
    } else {
      out.body().data = nullptr;
      out.body().size = 0;
    }
    client.expires_after(cfg.idle_timeout);
    auto [we, wn] = co_await http::async_write(client, sr, nothrow);
    if (we == http::error::need_buffer) we = {};
    if (we) {
      record(x);
      co_return false;
    }
  } while (!p.is_done() && !sr.is_done());
  record(x);
  if (upstream_keep && p.is_done() && !p.need_eof()) give_back(std::move(up), version);
  co_return keep;
}

awaitable<void> pump(Socket& from, Socket& to) {
  std::array<char, 16384> data;
  while (true) {
    auto [re, n] = co_await from.async_read_some(asio::buffer(data), nothrow);
    if (re) break;
    auto [we, w] = co_await asio::async_write(to, asio::buffer(data.data(), n), nothrow);
    if (we) {
      beast::error_code ignored;
      from.close(ignored);
      break;
    }
  }
  beast::error_code ignored;
  to.shutdown(Socket::shutdown_send, ignored);
}

awaitable<void> Worker::tunnel(Stream& client, beast::flat_buffer& client_buffer, Upstream up) {
  client.expires_never();
  up->stream.expires_never();
  auto& a = client.socket();
  auto& b = up->stream.socket();
  // Bytes either side sent right after the upgrade are already in the parsers' buffers.
  if (client_buffer.size() > 0) {
    co_await asio::async_write(b, client_buffer.data(), nothrow);
    client_buffer.clear();
  }
  if (up->buffer.size() > 0) {
    co_await asio::async_write(a, up->buffer.data(), nothrow);
    up->buffer.clear();
  }
  co_await (pump(a, b) && pump(b, a));
  beast::error_code ignored;
  a.close(ignored);
  b.close(ignored);
}

awaitable<void> Worker::admin_session(Socket socket) {
  Stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    stream.expires_after(std::chrono::seconds(30));
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    auto [e, n] = co_await http::async_read(stream, buffer, parser, nothrow);
    if (e) co_return;
    auto& req = parser.get();
    const auto path = path_of(sv(req.target()));
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::server, "slipway-gate");
    auto snap = gate_.snapshot();
    if (path == "/health") {
      res.set(http::field::content_type, "application/json");
      res.body() = fmt::format("{{\"status\":\"ok\",\"mode\":\"{}\",\"upstream\":\"{}\"}}", to_string(snap->mode),
                               snap->upstream);
    } else if (path == "/metrics") {
      res.set(http::field::content_type, "text/plain; version=0.0.4");
      res.body() = gate_.metrics().prometheus(snap->mode, gate_.connections.load(), gate_.active.load());
    } else {
      res.result(http::status::not_found);
      res.set(http::field::content_type, "text/plain");
      res.body() = "the gate's admin listener serves /health and /metrics\n";
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [we, wn] = co_await http::async_write(stream, res, nothrow);
    if (we || !req.keep_alive()) co_return;
  }
}

Result<tcp::endpoint> endpoint_of(const std::string& text, std::string_view key) {
  auto hp = net::parse_host_port(text);
  if (!hp) return fail(Error::input(hp.error().message, std::string(key), hp.error().hint));
  beast::error_code ec;
  auto address = asio::ip::make_address(hp->host == "localhost" ? "127.0.0.1" : hp->host, ec);
  if (ec) {
    return fail(Error::input(fmt::format("{} must be an IP address and port, not \"{}\"", key, text), std::string(key),
                             "write it like 127.0.0.1:8080 or 0.0.0.0:8080"));
  }
  return tcp::endpoint(address, hp->port);
}

Result<void> open_acceptor(Acceptor& acceptor, const tcp::endpoint& ep, std::string_view key) {
  beast::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(
        Error::environment(fmt::format("cannot listen on {}:{}: {}", ep.address().to_string(), ep.port(), ec.message()),
                           std::string(key), "is another process using the port?"));
  }
  return {};
}

// Canned answer when gate.max_connections are open.
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 25\r\nRetry-After: 1\r\n"
    "Connection: close\r\n\r\ntoo many open connections";

}  // namespace

std::size_t proxy_threads(const GateConfig& config) {
  if (config.threads > 0) return static_cast<std::size_t>(config.threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

Result<void> serve(Gate& gate, const std::function<void()>& ready) {
  const auto& cfg = gate.config();
  const std::size_t n = proxy_threads(cfg);
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>(gate, i));
  auto& main = workers.front()->context();

  auto listen_ep = endpoint_of(cfg.listen, "gate.listen");
  if (!listen_ep) return fail(listen_ep.error());
  auto admin_ep = endpoint_of(cfg.admin_listen, "gate.admin_listen");
  if (!admin_ep) return fail(admin_ep.error());
  Acceptor acceptor(main);
  Acceptor admin(main);
  if (auto ok = open_acceptor(acceptor, *listen_ep, "gate.listen"); !ok) return ok;
  if (auto ok = open_acceptor(admin, *admin_ep, "gate.admin_listen"); !ok) return ok;

  asio::co_spawn(
      main,
      [&]() -> awaitable<void> {
        std::size_t next = 0;
        while (acceptor.is_open()) {
          Worker& w = *workers[next++ % workers.size()];
          auto [e, socket] = co_await acceptor.async_accept(w.context(), nothrow);
          if (e) {
            if (e == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            continue;  // EMFILE and the like: the next accept may succeed
          }
          if (gate.connections.load(std::memory_order_relaxed) >= cfg.max_connections) {
            beast::error_code ignored;
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
            socket.close(ignored);
            continue;
          }
          asio::co_spawn(w.context(), w.session(std::move(socket)), asio::detached);
        }
      },
      asio::detached);
  asio::co_spawn(
      main,
      [&]() -> awaitable<void> {
        while (admin.is_open()) {
          auto [e, socket] = co_await admin.async_accept(nothrow);
          if (e) {
            if (e == asio::error::operation_aborted || !admin.is_open()) co_return;
            continue;
          }
          asio::co_spawn(main, workers.front()->admin_session(std::move(socket)), asio::detached);
        }
      },
      asio::detached);

  // SIGINT/SIGTERM: stop accepting, let requests in flight finish, then stop.
  asio::signal_set signals(main, SIGINT, SIGTERM);
  asio::steady_timer drain(main);
  clock::time_point deadline;
  std::function<void(const beast::error_code&)> check = [&](const beast::error_code&) {
    if (gate.active.load() == 0 || clock::now() >= deadline) {
      for (auto& w : workers) w->stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait(check);
  };
  signals.async_wait([&](const beast::error_code& e, int) {
    if (e) return;
    gate.stopping.store(true);
    beast::error_code ignored;
    acceptor.close(ignored);
    admin.close(ignored);
    deadline = clock::now() + std::min<Duration>(cfg.drain_timeout, std::chrono::seconds(10));
    check({});
  });

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& w : workers) guards.push_back(asio::make_work_guard(w->context()));
  if (ready) ready();
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers.size(); ++i) threads.emplace_back([&w = *workers[i]] { w.run(); });
  workers.front()->run();
  for (auto& w : workers) w->stop();
  for (auto& t : threads) t.join();
  return {};
}

}  // namespace slipway::gate
