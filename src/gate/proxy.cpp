// The proxy: Asio C++20 coroutines, one io_context per thread.
//
// Each proxy thread owns an io_context, its own listening socket on the port, its client
// sessions and its own pool of idle upstream connections. Nothing else ever touches a worker's
// io_context, so it runs without Asio's internal locking (BOOST_ASIO_CONCURRENCY_HINT_UNSAFE),
// and nothing on the request path takes a lock. Timeouts are deadlines on each connection that
// one timer per worker sweeps, instead of a timer armed and cancelled around every read and
// write. A worker that has held its core for 500 us without a pause yields it (Pacer), so what
// shares the core does not wait for a scheduler tick. A read at the peer's turn (the upstream's
// answer, the client's next request) does not try a socket that its last read drained
// (try_receive), as nginx does not. The main thread runs the admin listener, the signals and
// the drain. A session is one coroutine:
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

#include <sched.h>
#include <sys/resource.h>

#include <chrono>
#include <deque>
#include <memory_resource>
#include <optional>
#include <thread>
#include <tuple>
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
#include <boost/container/small_vector.hpp>

#include "gate/http.hpp"
#include "gate/readiness.hpp"
#include "net/http_server.hpp"
#include "net/listen.hpp"

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
using Timer =
    asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using namespace asio::experimental::awaitable_operators;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable_t<Executor>{});
using clock = std::chrono::steady_clock;

constexpr std::size_t kWholeBody = 256 * 1024;  // bodies up to this size are read whole
constexpr std::size_t kPoolSize = 128;          // idle upstream connections per thread and upstream
constexpr auto kConnectTimeout = std::chrono::seconds(5);
constexpr auto kSweep = std::chrono::milliseconds(100);  // how often deadlines are checked

// A socket with a deadline. The worker's sweep cancels the operations of a connection whose
// deadline has passed; they then fail with beast::error::timeout (through `check`). Deadlines
// are set from the worker's clock, which the sweep advances, so a timeout fires up to one sweep
// early or late. Conns link themselves into their worker's list and never move.
class Conn {
 public:
  class List;
  Conn(List& list, Socket socket);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Socket& socket() { return socket_; }
  void expires_after(clock::duration d);
  void expires_never() {
    deadline_ = clock::time_point::max();
    timed_out_ = false;
  }
  // An operation's error, with a cancellation by the sweep reported as a timeout.
  [[nodiscard]] beast::error_code check(const beast::error_code& e) const {
    return timed_out_ && e == asio::error::operation_aborted ? beast::error::timeout : e;
  }
  // A read waits without having tried the socket (see try_receive); the sweep rechecks the
  // socket once if it still waits a sweep later.
  void parked(bool p) { park_ = p ? Park::waiting : Park::no; }

 private:
  enum class Park : unsigned char { no, waiting, seen, rechecked };
  Socket socket_;
  List& list_;
  clock::time_point deadline_ = clock::time_point::max();
  bool timed_out_ = false;
  Park park_ = Park::no;
  Conn* prev_ = nullptr;
  Conn* next_ = nullptr;
};

// A worker's connections, and its clock.
class Conn::List {
 public:
  [[nodiscard]] clock::time_point now() const { return now_; }
  // Advances the clock and cancels what is overdue.
  void sweep() {
    now_ = clock::now();
    for (Conn* c = head_; c; c = c->next_) {
      if (c->park_ == Park::waiting) {
        c->park_ = Park::seen;
      } else if (c->park_ == Park::seen) {
        c->park_ = Park::rechecked;
        readiness::recheck(c->socket_);
      }
      if (c->deadline_ > now_) continue;
      c->deadline_ = clock::time_point::max();
      c->timed_out_ = true;
      beast::error_code ignored;
      c->socket_.cancel(ignored);  // completions are posted, so the list does not change here
    }
  }

 private:
  friend class Conn;
  clock::time_point now_ = clock::now();
  Conn* head_ = nullptr;
};

Conn::Conn(List& list, Socket socket) : socket_(std::move(socket)), list_(list), next_(list.head_) {
  if (next_) next_->prev_ = this;
  list_.head_ = this;
}

Conn::~Conn() {
  if (prev_)
    prev_->next_ = next_;
  else
    list_.head_ = next_;
  if (next_) next_->prev_ = prev_;
}

void Conn::expires_after(clock::duration d) {
  deadline_ = list_.now() + d;
  timed_out_ = false;
}

template <class Body>
using RequestParser = http::request_parser<Body, Allocator>;
template <class Body>
using ResponseParser = http::response_parser<Body, Allocator>;

// The parsers of one exchange live in the connection objects, not in the coroutines' frames: a
// frame over 1 KiB is not recycled by Asio and costs a malloc each time.
struct UpstreamConnection {
  UpstreamConnection(Conn::List& list, const Executor& ex, std::pmr::memory_resource* pool)
      : stream(list, Socket(ex)), arena(1024, pool) {}
  Conn stream;
  beast::flat_buffer buffer;
  std::string out;  // a header being written: the request to the upstream, then its answer to the client
  std::optional<ResponseParser<http::empty_body>> response;  // the answer's header
  std::optional<ResponseParser<http::string_body>> whole;    // then, for a small answer, its body
  // Their fields: taken by bumping a pointer, given back all at once when the exchange is over.
  std::pmr::monotonic_buffer_resource arena;
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

// Hands a worker's core over once the worker has held it for kQuantum. A worker under steady
// traffic never blocks, and the kernel then takes the core back only at a scheduler tick (4 ms
// at HZ=250), so whatever else waits for that core (the backend the gate waits on, the clients,
// nginx in front) waits up to two ticks. On the 2-core benchmark machine that was the p99 of
// the maintenance 503 at 64 connections: exactly 7.9 ms in every run, where `perf sched` showed
// the waits ending on tick boundaries and the workers running 1 ms and more at a stretch.
// Checked at the end of each answer: when the thread has neither blocked nor been preempted for
// a quantum (its context-switch counts have not moved), it yields. With nothing else waiting,
// sched_yield returns at once.
class Pacer {
 public:
  void answered() {
    if (clock::now() - start_ < kQuantum) return;
    long now = switches();
    if (now == switches_) {
      sched_yield();
      now = switches();  // the yield is a switch when something else ran
    }
    switches_ = now;
    start_ = clock::now();
  }

 private:
  static constexpr auto kQuantum = std::chrono::microseconds(500);
  static long switches() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw + usage.ru_nivcsw;
  }
  clock::time_point start_{};
  long switches_ = -1;
};

Address address_bytes(const asio::ip::address& a) {
  if (a.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// One client connection: its socket, the bytes read ahead, and the header being written to it.
struct Client {
  Client(Conn::List& list, Socket socket, std::pmr::memory_resource* pool)
      : conn(list, std::move(socket)), arena(1024, pool) {}
  Conn conn;
  beast::flat_buffer buffer;
  std::string out;
  std::optional<RequestParser<http::empty_body>> request;  // the request's header
  std::optional<RequestParser<http::string_body>> body;    // then, for a small body, the whole request
  std::pmr::monotonic_buffer_resource arena;               // the request's fields, as for upstreams
  std::string ip;
  Address address{};
};

class Worker {
 public:
  Worker(Gate& gate, std::size_t index, const std::atomic<bool>& halt)
      : gate_(gate),
        halt_(halt),
        metrics_(gate.metrics().shard(index)),
        security_headers_(parse_security_headers(gate.config().security_headers)) {}

  void run() { ioc_.run(); }

  // Accepts on its own listening socket, and sweeps deadlines, until stopped.
  Result<void> start(const tcp::endpoint& listen);

 private:
  struct Exchange;  // one request's facts, for the access log and metrics

  awaitable<void> accept_loop();
  awaitable<void> sweep();
  awaitable<void> session(Socket socket);

  const Snapshot& current();
  awaitable<Upstream> connect(beast::error_code& ec);
  Upstream take_idle();
  void give_back(Upstream c, std::uint64_t version);
  // A parser in `slot`, its fields from `arena`.
  template <class Parser>
  static Parser& emplace(std::optional<Parser>& slot, std::pmr::memory_resource& arena) {
    return slot.emplace(std::piecewise_construct, std::tuple<>(), std::make_tuple(Allocator(&arena)));
  }

  awaitable<bool> handle(Client& client, RequestParser<http::empty_body>& parser);
  template <typename Body>
  awaitable<bool> forward(Client& client, const http::request<Body, Fields>& request, Exchange& x, const Snapshot& snap,
                          const Forwarding& forwarding, bool upgrade);
  awaitable<bool> forward_streaming(Client& client, RequestParser<http::empty_body>& parser, Exchange& x,
                                    const Snapshot& snap, const Forwarding& forwarding, bool upgrade);
  awaitable<bool> relay_response(Client& client, Upstream up, ResponseParser<http::empty_body>& rp, Exchange& x);
  awaitable<bool> relay_streaming(Client& client, Upstream up, ResponseParser<http::empty_body>& rp, Exchange& x,
                                  const ClientResponse& how, bool upstream_keep, std::uint64_t version);
  awaitable<void> tunnel(Client& client, Upstream up);
  awaitable<bool> reply(Client& client, http::status status, std::string_view content_type, std::string_view body,
                        bool keep_alive, Exchange& x, std::int64_t retry_after = 0);
  void record(const Exchange& x);

  // The pool first and the io_context next: destroyed last, after the coroutines (and their
  // parsers) that the io_context still holds. Only this worker's thread touches either.
  std::pmr::unsynchronized_pool_resource pool_;
  asio::io_context ioc_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  Gate& gate_;
  const std::atomic<bool>& halt_;  // set when the gate has drained: stop the io_context
  Conn::List conns_;
  std::optional<Acceptor> acceptor_;
  Metrics::Shard& metrics_;
  std::vector<SecurityHeader> security_headers_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::uint64_t version_ = 0;
  tcp::endpoint endpoint_;
  std::string endpoint_error_;
  std::deque<Upstream> idle_;  // to snapshot_'s upstream
  Rejection rejection_json_;   // snapshot_'s 503 bodies, rendered once per change
  // Where lingering closes read what they drop: shared, as nobody reads it (a buffer in each
  // session's coroutine frame made every connection 16 KiB bigger).
  std::array<char, 16 * 1024> discard_;
  Rejection rejection_html_;
  Pacer pacer_;
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

// Whose turn it is when a read starts. `peer`: the gate has just sent its part (the request to
// the upstream, or the answer to the client) and waits for the peer's.
enum class Turn { any, peer };

// A read of `conn` into `into`, as async_read_some does, but without the system call that finds
// nothing (see readiness.hpp). The read is tried here, not by the reactor, so that a short read
// is known to have drained the socket at once; the reactor's flag is then cleared, and any
// readiness event sets it again. When it is still clear at the peer's turn, nothing came since,
// and the read waits for the next event without trying. The one thing a short read can hide is an
// end of file that came with its last bytes (no event follows it); only a peer's-turn read waits
// on that, and the sweep rechecks such a read's socket once (within 200 ms).
//
// Not a coroutine, which would cost a frame per read: `try_receive` returns true when it has the
// result; otherwise the caller waits with async_read_some and hands the result to `received`.
// Only for a socket with no other operation pending: the reactor then resumes the reader right
// after its read, before it waits for events again, so no event can slip in between.
bool try_receive(Conn& conn, asio::mutable_buffer into, Turn turn, beast::error_code& ec, std::size_t& n) {
  Socket& socket = conn.socket();
  if (turn == Turn::peer && !readiness::may_have_bytes(socket)) {
    conn.parked(true);
    return false;
  }
  n = socket.read_some(into, ec);
  if (ec == asio::error::would_block) {
    readiness::set_may_have_bytes(socket, false);  // empty now: wait for the next event
    return false;
  }
  if (!ec && n < into.size()) readiness::set_may_have_bytes(socket, false);
  return true;
}

void received(Conn& conn, const beast::error_code& ec, std::size_t n, std::size_t size) {
  conn.parked(false);
  // The reactor read this right after an event and resumed the reader at once: a short read
  // drained the socket.
  if (!ec && n < size) readiness::set_may_have_bytes(conn.socket(), false);
}

// Lets the next read of `socket` try at once, for the reads that do not go through try_receive
// (Beast's streaming reads, the tunnel, the lingering close): an end of file that came with a
// short read must not be waited for there.
void try_next_read(Socket& socket) {
  readiness::set_may_have_bytes(socket, true);
}

// Feeds `parser` from `buffer`, reading more from `conn` as needed, until it has the header
// (Part::header) or the whole message. This is what Beast's async_read_header and async_read do,
// without their composed operations: their layers of handlers, each with a work-tracking
// executor, cost more per request than the parse itself. Errors are Beast's.
enum class Part { header, message };
template <class Parser>
awaitable<beast::error_code> read(Conn& conn, beast::flat_buffer& buffer, Parser& parser, Part part,
                                  Turn turn = Turn::any) {
  if (part == Part::message) parser.eager(true);
  const auto done = [&] { return part == Part::header ? parser.is_header_done() : parser.is_done(); };
  beast::error_code ec;
  while (true) {
    while (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || done()) co_return ec;
      if (used == 0) break;
    }
    if (done()) co_return ec;
    const std::size_t room = std::max<std::size_t>(4096, buffer.capacity() - buffer.size());
    const auto into = buffer.prepare(room);
    beast::error_code e;
    std::size_t n = 0;
    if (!try_receive(conn, into, turn, e, n)) {
      std::tie(e, n) = co_await conn.socket().async_read_some(into, nothrow);
      received(conn, e, n, into.size());
    }
    turn = Turn::any;  // the rest of a message is the same turn
    if (e == asio::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      parser.put_eof(ec);
      if (!ec && !done()) ec = http::error::partial_message;
      co_return ec;
    }
    if (e) co_return e;
    buffer.commit(n);
  }
}

// Sends `buffers`: at once when the socket takes them all, which is the usual case for a header
// and a small body (no operation is queued, and the coroutine goes on without waiting for the
// reactor's turn), else the rest when there is room. The gate's sockets are non-blocking.
template <class Buffers>
awaitable<beast::error_code> send(Socket& socket, const Buffers& buffers) {
  beast::error_code ec;
  const std::size_t n = socket.write_some(buffers, ec);
  if (!ec && n == asio::buffer_size(buffers)) co_return ec;
  if (ec && ec != asio::error::would_block) co_return ec;
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(ec ? 0 : n);
  auto [e, m] = co_await asio::async_write(socket, rest, nothrow);
  co_return e;
}

// Writes one piece of a streamed body: as it is, or as one chunk (`framing` is scratch space).
awaitable<beast::error_code> write_body(Socket& to, std::string& framing, bool chunked, const char* data,
                                        std::size_t size) {
  if (!chunked) {
    auto e = co_await send(to, asio::buffer(data, size));
    co_return e;
  }
  framing.clear();
  write_chunk_head(framing, size);
  const std::array<asio::const_buffer, 3> out{asio::buffer(framing), asio::buffer(data, size),
                                              asio::buffer("\r\n", size ? 2 : 0)};
  auto e = co_await send(to, out);
  co_return e;
}

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
  c->response.reset();
  c->whole.reset();
  c->arena.release();
  idle_.push_back(std::move(c));
}

awaitable<Upstream> Worker::connect(beast::error_code& ec) {
  if (!endpoint_error_.empty()) {
    ec = asio::error::host_not_found;
    co_return nullptr;
  }
  auto c = std::make_unique<UpstreamConnection>(conns_, ioc_.get_executor(), &pool_);
  c->stream.expires_after(kConnectTimeout);
  auto [e] = co_await c->stream.socket().async_connect(endpoint_, nothrow);
  ec = e;
  if (ec) co_return nullptr;
  c->stream.socket().set_option(tcp::no_delay(true), ec);
  c->stream.socket().non_blocking(true, ec);  // for send()
  ec = {};
  co_return c;
}

void Worker::record(const Exchange& x) {
  metrics_.request(x.mode, x.status);
  pacer_.answered();
  if (auto* log = gate_.access_log()) {
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - x.start).count();
    log->write({x.client_ip, x.method, x.target, x.status, x.mode,
                x.upstream ? std::string_view(snapshot_->upstream) : "", ms, x.bytes, x.admin});
  }
}

awaitable<bool> Worker::reply(Client& client, http::status status, std::string_view content_type, std::string_view body,
                              bool keep_alive, Exchange& x, std::int64_t retry_after) {
  // The body is not copied: `body` outlives the write (a temporary lives to the end of the co_await).
  x.status = static_cast<unsigned>(status);
  x.bytes = x.head ? 0 : body.size();  // HEAD: the header says how long the body would be
  client.out.clear();
  write_reply(client.out,
              {x.version, x.status, content_type, body.size(), keep_alive, retry_after, &security_headers_});
  const std::array<asio::const_buffer, 2> out{asio::buffer(client.out),
                                              asio::buffer(body.data(), x.head ? 0 : body.size())};
  client.conn.expires_after(gate_.config().idle_timeout);
  auto ec = co_await send(client.conn.socket(), out);
  record(x);
  co_return !ec && keep_alive;
}

awaitable<void> Worker::session(Socket socket) {
  Counted connection(gate_.connections);
  beast::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  socket.set_option(tcp::no_delay(true), ec);
  socket.non_blocking(true, ec);  // for send()
  Client client(conns_, std::move(socket), &pool_);
  client.ip = remote.address().to_string();
  client.address = address_bytes(remote.address());
  const auto& cfg = gate_.config();
  while (!gate_.stopping.load(std::memory_order_relaxed)) {
    if (client.buffer.size() == 0) {
      client.conn.expires_after(cfg.idle_timeout);
      const auto into = client.buffer.prepare(1024);
      beast::error_code e;
      std::size_t n = 0;
      if (!try_receive(client.conn, into, Turn::peer, e, n)) {
        std::tie(e, n) = co_await client.conn.socket().async_read_some(into, nothrow);
        received(client.conn, e, n, into.size());
      }
      if (e) co_return;
      client.buffer.commit(n);
    }
    client.conn.expires_after(cfg.header_timeout);
    auto& parser = emplace(client.request, client.arena);
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.max_header_size, UINT32_MAX)));
    parser.body_limit(cfg.max_body_size);
    const auto read_error = co_await read(client.conn, client.buffer, parser, Part::header);
    if (const auto e = client.conn.check(read_error)) {
      if (e == http::error::end_of_stream || e == beast::error::timeout || e == asio::error::eof ||
          e == asio::error::connection_reset) {
        co_return;
      }
      Exchange x;
      x.client_ip = client.ip;
      x.mode = current().mode;  // a refusal before parsing counts in the mode the gate is in
      if (e == http::error::body_limit) {
        co_await reply(client, http::status::payload_too_large, "text/plain", "request body too large\n", false, x);
      } else if (e == http::error::header_limit) {
        co_await reply(client, http::status::request_header_fields_too_large, "text/plain",
                       "request header too large\n", false, x);
      } else {
        co_await reply(client, http::status::bad_request, "text/plain", fmt::format("bad request: {}\n", e.message()),
                       false, x);
      }
      break;  // to the lingering close: the client may still be sending what we refused
    }
    Counted active(gate_.active);
    const bool keep = co_await handle(client, parser);
    // An idle connection keeps nothing of its last request, as nginx frees its header buffer:
    // its next one is read into 1 KiB, which malloc's per-thread cache hands out quickly.
    client.body.reset();
    client.request.reset();
    client.arena.release();
    if (client.buffer.size() == 0) client.buffer.shrink_to_fit();
    if (!keep) break;
  }
  // A lingering close, as nginx does: stop sending, then read and drop what the client still
  // sends for a moment. Closing with unread data would reset the connection, and the client
  // could lose the 413 or 400 it was sent before reading it.
  beast::error_code ignored;
  client.conn.socket().shutdown(Socket::shutdown_send, ignored);
  try_next_read(client.conn.socket());
  std::size_t drained = 0;
  while (drained < 8 * 1024 * 1024) {
    client.conn.expires_after(std::chrono::seconds(2));
    auto [le, ln] = co_await client.conn.socket().async_read_some(asio::buffer(discard_), nothrow);
    if (le) break;
    drained += ln;
  }
}

awaitable<bool> Worker::handle(Client& client, RequestParser<http::empty_body>& parser) {
  auto& req = parser.get();
  const auto& cfg = gate_.config();
  Exchange x;
  x.client_ip = client.ip;
  const std::string_view method = sv(req.method_string());
  const std::string_view target = sv(req.target());
  if (gate_.access_log()) {
    x.method = method;
    x.target = target;
  }
  x.head = req.method() == http::verb::head;
  x.version = req.version();
  // The parser's flags, not the fields: a field lookup is a case-insensitive tree search.
  const bool keep_alive = parser.keep_alive() && !gate_.stopping.load(std::memory_order_relaxed);
  x.keep_alive = keep_alive;
  const bool chunked = parser.chunked();
  const auto length = parser.content_length();
  const bool has_body = chunked || (length && *length > 0);

  const Snapshot& snap = current();
  x.mode = snap.mode;
  if (auto why = check_request(req, chunked); !why.empty()) {
    co_return co_await reply(client, http::status::bad_request, "text/plain", fmt::format("bad request: {}\n", why),
                             false, x);
  }
  if (length && *length > cfg.max_body_size) {
    co_return co_await reply(client, http::status::payload_too_large, "text/plain", "request body too large\n", false,
                             x);
  }

  // Behind a trusted proxy, the client is the one its X-Forwarded-For names (admin.hpp).
  std::optional<Address> who = client.address;
  std::string forwarded_ip;
  if (in_any(gate_.trusted_proxies(), client.address)) {
    boost::container::small_vector<std::string_view, 2> values;
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) values.push_back(sv(it->value()));
    who = forwarded_client(client.address, values, gate_.trusted_proxies());
    forwarded_ip = who ? address_text(*who) : "unknown";
    x.client_ip = forwarded_ip;
  }
  const auto is_admin = [&] {
    AdminCheck::Request r;
    r.authorization = sv(req[http::field::authorization]);
    r.cookies = sv(req[http::field::cookie]);
    r.target = target;
    if (who) r.client = *who;
    r.has_client = who.has_value();
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    x.admin = gate_.admin().is_admin(r, now);
    return x.admin;
  };
  // A deploy's own verification carries its one-time token and reaches the release in any mode.
  const bool deploy_bypass =
      !snap.bypass.empty() &&
      Gate::bypasses(snap, sv(req[beast::string_view(kBypassHeader.data(), kBypassHeader.size())]));
  if (deploy_bypass) x.admin = true;
  const Action action = deploy_bypass ? Action::pass : decide(snap.mode, gate_.rules(), method, target, is_admin);
  if (action == Action::bad_path) {
    co_return co_await reply(client, http::status::bad_request, "text/plain",
                             "bad request: the path holds a dot segment (\"..\" or \".\", in any spelling) or a "
                             "malformed escape\n",
                             false, x);
  }

  if (action != Action::pass) {
    // The gate answers; a body the client sends along is read and dropped (or the connection
    // closes when it is large), so the next request on the connection starts in the right place.
    const Rejection& page = wants_html(sv(req[http::field::accept])) ? rejection_html_ : rejection_json_;
    bool keep = keep_alive;
    if (has_body) {
      if (chunked || *length > kWholeBody) {
        keep = false;
      } else {
        auto& body = client.body.emplace(std::move(parser));
        client.conn.expires_after(cfg.idle_timeout);
        if (co_await read(client.conn, client.buffer, body, Part::message)) keep = false;
        client.body.reset();
      }
    }
    if (action == Action::health) {
      co_return co_await reply(client, http::status::ok, "application/json", "{\"status\":\"maintenance\"}", keep, x);
    }
    metrics_.rejected.fetch_add(1, std::memory_order_relaxed);
    co_return co_await reply(client, http::status::service_unavailable, page.content_type, page.body, keep, x,
                             snap.retry_after);
  }

  // Outside normal mode a write that passes (allow-listed, or an admin's) is noted: a backup taken
  // while writes are held may not hold it, and a deploy's rollback names it.
  if (snap.mode != Mode::normal && !deploy_bypass && is_write(method))
    gate_.note_write_let_through(method, target, x.client_ip, x.admin);
  const bool upgrade = parser.upgrade() && is_upgrade(req);
  const Forwarding forwarding{client.ip, cfg.forwarded_proto, snap.upstream};
  x.upstream = true;
  bool keep = false;
  if (!has_body) {
    keep = co_await forward(client, req, x, snap, forwarding, upgrade);
  } else if (!chunked && *length <= kWholeBody) {
    auto& body = client.body.emplace(std::move(parser));
    body.body_limit(cfg.max_body_size);
    client.conn.expires_after(cfg.idle_timeout);
    if (co_await read(client.conn, client.buffer, body, Part::message)) co_return false;
    keep = co_await forward(client, body.get(), x, snap, forwarding, upgrade);
    client.body.reset();
  } else {
    keep = co_await forward_streaming(client, parser, x, snap, forwarding, upgrade);
  }
  co_return keep&& keep_alive;
}

// A request held whole in memory: sent on a pooled connection, and once more on a fresh one
// when the pooled one turns out to be closed.
template <typename Body>
awaitable<bool> Worker::forward(Client& client, const http::request<Body, Fields>& request, Exchange& x,
                                const Snapshot& snap, const Forwarding& forwarding, bool upgrade) {
  const auto& cfg = gate_.config();
  Counted in_flight(*snap.in_flight);
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    Upstream up = attempt == 0 ? take_idle() : nullptr;
    const bool reused = up != nullptr;
    if (!up) up = co_await connect(ec);
    if (!up) {
      co_return co_await reply(client, http::status::bad_gateway, "text/plain",
                               fmt::format("the upstream {} is unreachable: {}\n", snap.upstream, ec.message()),
                               x.keep_alive, x);
    }
    const auto sent = clock::now();
    up->out.clear();
    write_upstream_request(up->out, request, forwarding, upgrade);
    std::array<asio::const_buffer, 2> out{asio::buffer(up->out), asio::const_buffer()};
    if constexpr (std::is_same_v<Body, http::string_body>) out[1] = asio::buffer(request.body());
    up->stream.expires_after(cfg.upstream_timeout);
    auto we = co_await send(up->stream.socket(), out);
    auto& rp = emplace(up->response, up->arena);
    rp.header_limit(64 * 1024);
    rp.body_limit(boost::none);
    if (x.head) rp.skip(true);
    if (!we) {
      we = co_await read(up->stream, up->buffer, rp, Part::header, Turn::peer);
    }
    if (we) {
      if (reused && !rp.got_some()) continue;  // a stale pooled connection: once more, fresh
      we = up->stream.check(we);
      const bool timeout = we == beast::error::timeout;
      co_return co_await reply(client, timeout ? http::status::gateway_timeout : http::status::bad_gateway,
                               "text/plain", fmt::format("the upstream {} failed: {}\n", snap.upstream, we.message()),
                               x.keep_alive, x);
    }
    metrics_.upstream_latency(std::chrono::duration<double>(clock::now() - sent).count());
    co_return co_await relay_response(client, std::move(up), rp, x);
  }
  co_return false;
}

// A large or chunked request body streams through a fixed buffer: no retry is possible.
awaitable<bool> Worker::forward_streaming(Client& client, RequestParser<http::empty_body>& parser, Exchange& x,
                                          const Snapshot& snap, const Forwarding& forwarding, bool upgrade) {
  const auto& cfg = gate_.config();
  Counted in_flight(*snap.in_flight);
  RequestParser<http::buffer_body> p{std::move(parser)};
  p.body_limit(cfg.max_body_size);
  auto& req = p.get();
  const bool chunked = p.chunked();
  beast::error_code ec;
  Upstream up = take_idle();
  if (!up) up = co_await connect(ec);
  if (!up) {
    co_return co_await reply(client, http::status::bad_gateway, "text/plain",
                             fmt::format("the upstream {} is unreachable: {}\n", snap.upstream, ec.message()), false,
                             x);
  }
  const auto sent = clock::now();
  up->out.clear();
  write_upstream_request(up->out, req, forwarding, upgrade);
  up->stream.expires_after(cfg.upstream_timeout);
  auto he = co_await send(up->stream.socket(), asio::buffer(up->out));
  if (he) {
    co_return co_await reply(client, http::status::bad_gateway, "text/plain", "the upstream failed\n", false, x);
  }
  std::array<char, 16384> chunk;
  try_next_read(client.conn.socket());
  while (!p.is_done()) {
    req.body().data = chunk.data();
    req.body().size = chunk.size();
    client.conn.expires_after(cfg.idle_timeout);
    auto [re, rn] = co_await http::async_read_some(client.conn.socket(), client.buffer, p, nothrow);
    if (re == http::error::need_buffer) re = {};
    if (re == http::error::body_limit) {
      co_return co_await reply(client, http::status::payload_too_large, "text/plain", "request body too large\n", false,
                               x);
    }
    if (re) co_return false;
    const std::size_t n = chunk.size() - req.body().size;
    if (n == 0) continue;
    up->stream.expires_after(cfg.upstream_timeout);
    if (auto we = co_await write_body(up->stream.socket(), up->out, chunked, chunk.data(), n)) {
      co_return co_await reply(client, http::status::bad_gateway, "text/plain", "the upstream failed\n", false, x);
    }
  }
  if (chunked) {
    up->stream.expires_after(cfg.upstream_timeout);
    if (auto we = co_await write_body(up->stream.socket(), up->out, true, nullptr, 0)) {
      co_return co_await reply(client, http::status::bad_gateway, "text/plain", "the upstream failed\n", false, x);
    }
  }

  auto& rp = emplace(up->response, up->arena);
  rp.header_limit(64 * 1024);
  rp.body_limit(boost::none);
  up->stream.expires_after(cfg.upstream_timeout);
  if (co_await read(up->stream, up->buffer, rp, Part::header, Turn::peer)) {
    co_return co_await reply(client, http::status::bad_gateway, "text/plain", "the upstream failed\n", false, x);
  }
  metrics_.upstream_latency(std::chrono::duration<double>(clock::now() - sent).count());
  co_return co_await relay_response(client, std::move(up), rp, x);
}

awaitable<bool> Worker::relay_response(Client& client, Upstream up, ResponseParser<http::empty_body>& rp, Exchange& x) {
  const auto& cfg = gate_.config();
  auto& res = rp.get();
  x.status = res.result_int();
  const bool upstream_keep = rp.keep_alive();
  const std::uint64_t version = version_;

  if (res.result() == http::status::switching_protocols) {
    // The upstream accepted the upgrade: pass the 101 on, then carry bytes both ways.
    client.out.clear();
    write_header(client.out, res);
    client.conn.expires_after(cfg.idle_timeout);
    auto e = co_await send(client.conn.socket(), asio::buffer(client.out));
    record(x);
    if (!e) co_await tunnel(client, std::move(up));
    co_return false;
  }

  ClientResponse how;
  how.keep_alive = x.keep_alive && !gate_.stopping.load(std::memory_order_relaxed);
  how.http10 = x.version == 10;
  how.security_headers = &security_headers_;
  const bool whole = rp.is_done() || (!rp.chunked() && rp.content_length() && *rp.content_length() <= kWholeBody);
  if (!whole && x.version == 10) {
    // An HTTP/1.0 client cannot read chunks: send the body raw and close.
    how.chunked = ClientResponse::Chunked::drop;
    how.keep_alive = false;
  } else if (!whole && !rp.chunked() && !rp.content_length()) {
    // Read-until-close from the upstream: chunk it for the client.
    how.chunked = ClientResponse::Chunked::add;
  }
  if (!whole) co_return co_await relay_streaming(client, std::move(up), rp, x, how, upstream_keep, version);

  bool keep = how.keep_alive;
  client.out.clear();
  if (rp.is_done()) {
    write_client_response(client.out, res, how);
    client.conn.expires_after(cfg.idle_timeout);
    auto e = co_await send(client.conn.socket(), asio::buffer(client.out));
    if (e) keep = false;
  } else {
    auto& sp = up->whole.emplace(std::move(rp));
    up->stream.expires_after(cfg.upstream_timeout);
    if (co_await read(up->stream, up->buffer, sp, Part::message)) {
      record(x);
      co_return false;
    }
    const auto& body = sp.get().body();
    write_client_response(client.out, sp.get().base(), how);
    x.bytes = body.size();
    const std::array<asio::const_buffer, 2> out{asio::buffer(client.out), asio::buffer(body)};
    client.conn.expires_after(cfg.idle_timeout);
    auto e = co_await send(client.conn.socket(), out);
    if (e) keep = false;
  }
  record(x);
  if (upstream_keep) give_back(std::move(up), version);
  co_return keep;
}

// A large, chunked or read-until-close answer streams through a fixed buffer (in a coroutine of
// its own, so that the buffer is not part of every answer's coroutine frame).
awaitable<bool> Worker::relay_streaming(Client& client, Upstream up, ResponseParser<http::empty_body>& rp, Exchange& x,
                                        const ClientResponse& how, bool upstream_keep, std::uint64_t version) {
  const auto& cfg = gate_.config();
  // In an optional: it must be gone before the connection (and the arena its fields are in) is
  // given back.
  std::optional<ResponseParser<http::buffer_body>> parser;
  auto& p = parser.emplace(std::move(rp));
  auto& res = p.get();
  const bool chunked =
      how.chunked == ClientResponse::Chunked::add || (how.chunked == ClientResponse::Chunked::keep && p.chunked());
  client.out.clear();
  write_client_response(client.out, res, how);
  client.conn.expires_after(cfg.idle_timeout);
  auto he = co_await send(client.conn.socket(), asio::buffer(client.out));
  if (he) {
    record(x);
    co_return false;
  }
  std::array<char, 16384> chunk;
  try_next_read(up->stream.socket());
  while (!p.is_done()) {
    res.body().data = chunk.data();
    res.body().size = chunk.size();
    up->stream.expires_after(cfg.idle_timeout);
    auto [re, rn] = co_await http::async_read_some(up->stream.socket(), up->buffer, p, nothrow);
    if (re == http::error::need_buffer) re = {};
    if (re) {
      record(x);
      co_return false;
    }
    const std::size_t n = chunk.size() - res.body().size;
    if (n == 0) continue;
    x.bytes += n;
    client.conn.expires_after(cfg.idle_timeout);
    if (auto we = co_await write_body(client.conn.socket(), client.out, chunked, chunk.data(), n)) {
      record(x);
      co_return false;
    }
  }
  if (chunked) {
    client.conn.expires_after(cfg.idle_timeout);
    if (auto we = co_await write_body(client.conn.socket(), client.out, true, nullptr, 0)) {
      record(x);
      co_return false;
    }
  }
  record(x);
  const bool reuse = upstream_keep && !p.need_eof();
  parser.reset();
  if (reuse) give_back(std::move(up), version);
  co_return how.keep_alive;
}

awaitable<void> pump(Socket& from, Socket& to) {
  std::array<char, 16384> data;
  try_next_read(from);
  while (true) {
    auto [re, n] = co_await from.async_read_some(asio::buffer(data), nothrow);
    if (re) break;
    auto we = co_await send(to, asio::buffer(data.data(), n));
    if (we) {
      beast::error_code ignored;
      from.close(ignored);
      break;
    }
  }
  beast::error_code ignored;
  to.shutdown(Socket::shutdown_send, ignored);
}

awaitable<void> Worker::tunnel(Client& client, Upstream up) {
  client.conn.expires_never();
  up->stream.expires_never();
  auto& a = client.conn.socket();
  auto& b = up->stream.socket();
  // Bytes either side sent right after the upgrade are already in the parsers' buffers.
  if (client.buffer.size() > 0) {
    co_await asio::async_write(b, client.buffer.data(), nothrow);
    client.buffer.clear();
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

// Canned answer when gate.max_connections are open.
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 25\r\nRetry-After: 1\r\n"
    "Connection: close\r\n\r\ntoo many open connections";

Result<void> Worker::start(const tcp::endpoint& listen) {
  acceptor_.emplace(ioc_.get_executor());
  if (auto ok = net::open_acceptor(*acceptor_, listen, "gate.listen", true); !ok) return ok;
  asio::co_spawn(ioc_, accept_loop(), asio::detached);
  asio::co_spawn(ioc_, sweep(), asio::detached);
  return {};
}

awaitable<void> Worker::accept_loop() {
  const auto& cfg = gate_.config();
  while (acceptor_->is_open()) {
    auto [e, socket] = co_await acceptor_->async_accept(nothrow);
    if (e) {
      if (e == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      // EMFILE and the like: the next accept may succeed, after a pause rather than a busy loop.
      Timer pause(ioc_);
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(nothrow);
      continue;
    }
    if (gate_.connections.load(std::memory_order_relaxed) >= cfg.max_connections) {
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(ioc_, session(std::move(socket)), asio::detached);
  }
}

// Every kSweep: cancel what is overdue; on stopping, stop accepting; once drained, stop.
awaitable<void> Worker::sweep() {
  Timer timer(ioc_);
  while (true) {
    timer.expires_after(kSweep);
    co_await timer.async_wait(nothrow);
    conns_.sweep();
    if (gate_.stopping.load(std::memory_order_relaxed) && acceptor_ && acceptor_->is_open()) {
      beast::error_code ignored;
      acceptor_->close(ignored);
      idle_.clear();
    }
    if (halt_.load(std::memory_order_relaxed)) {
      ioc_.stop();
      co_return;
    }
  }
}

// The admin listener's answers: /health (the mode and the upstream, as JSON) and /metrics.
net::ServerAnswer admin_answer(Gate& gate, const net::ServerRequest& req) {
  auto snap = gate.snapshot();
  if (req.path == "/health") {
    return {200, "application/json",
            fmt::format("{{\"status\":\"ok\",\"mode\":\"{}\",\"upstream\":\"{}\"}}", to_string(snap->mode),
                        snap->upstream)};
  }
  if (req.path == "/metrics")
    return {200, "text/plain; version=0.0.4",
            gate.metrics().prometheus(snap->mode, gate.connections.load(), gate.active.load())};
  return {404, "text/plain", "the gate's admin listener serves /health and /metrics\n"};
}

}  // namespace

std::size_t proxy_threads(const GateConfig& config) {
  if (config.threads > 0) return static_cast<std::size_t>(config.threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

bool fast_reads() {
  return readiness::fast;
}

Result<void> serve(Gate& gate, const std::function<void()>& ready) {
  const auto& cfg = gate.config();
  const std::size_t n = proxy_threads(cfg);
  std::atomic<bool> halt{false};
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>(gate, i, halt));

  // The main thread's own io_context: the listening sockets and the signals. The admin listener
  // (net/http_server.hpp) answers on a thread of its own.
  asio::io_context main{1};
  auto listen_ep = net::listen_endpoint(cfg.listen, "gate.listen");
  if (!listen_ep) return fail(listen_ep.error());
  auto admin = net::HttpServer::start(cfg.admin_listen, "gate.admin_listen",
                                      [&gate](const net::ServerRequest& req) { return admin_answer(gate, req); });
  if (!admin) return fail(admin.error());
  {
    // The threads' sockets share the port (SO_REUSEPORT), which would let a second gate share it
    // too: first make sure that nothing else listens there, with a socket that does not share.
    Acceptor probe(main.get_executor());
    if (auto ok = net::open_acceptor(probe, *listen_ep, "gate.listen"); !ok) return ok;
    *listen_ep = probe.local_endpoint();  // the port the kernel chose, for port 0
  }
  for (auto& w : workers) {
    if (auto ok = w->start(*listen_ep); !ok) return ok;
  }

  // SIGINT/SIGTERM: stop accepting, let requests in flight finish, then stop.
  asio::signal_set signals(main, SIGINT, SIGTERM);
  asio::steady_timer drain(main);
  clock::time_point deadline;
  std::function<void(const beast::error_code&)> check = [&](const beast::error_code&) {
    if (gate.active.load() == 0 || clock::now() >= deadline) {
      halt.store(true);  // each worker stops at its next sweep
      main.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait(check);
  };
  signals.async_wait([&](const beast::error_code& e, int) {
    if (e) return;
    gate.stopping.store(true);  // the workers close their acceptors at their next sweep
    (*admin)->close();
    deadline = clock::now() + std::min<Duration>(cfg.drain_timeout, std::chrono::seconds(10));
    check({});
  });

  // SIGHUP: the access log is opened again (logrotate has moved it away).
  asio::signal_set hangup(main, SIGHUP);
  std::function<void(const beast::error_code&, int)> on_hangup = [&](const beast::error_code& e, int) {
    if (e) return;
    if (auto* log = gate.access_log()) {
      if (auto ok = log->reopen(); !ok) {
        std::fputs(fmt::format("slipway: gate: {}: {}\n", ok.error().where, ok.error().message).c_str(), stderr);
      }
    }
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);

  if (ready) ready();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w = *w] { w.run(); });
  main.run();
  halt.store(true);
  for (auto& t : threads) t.join();
  return {};
}

}  // namespace slipway::gate
