#include "verify/load.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "verify/response_framing.hpp"

namespace slipway::verify {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

std::string build_request(const LoadOptions& o, const net::Url& url) {
  std::string r = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", o.method, url.target, url.authority());
  bool agent = false, accept = false;
  for (const auto& [k, v] : o.headers) {
    if (net::header_value({{k, v}}, "user-agent").size()) agent = true;
    if (net::header_value({{k, v}}, "accept").size()) accept = true;
    r += fmt::format("{}: {}\r\n", k, v);
  }
  if (!agent) r += "User-Agent: slipway-verify\r\n";
  if (!accept) r += "Accept: */*\r\n";
  if (!o.body.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH") {
    r += fmt::format("Content-Length: {}\r\n", o.body.size());
  }
  r += "\r\n";
  r += o.body;
  return r;
}

// What one thread measured; merged into the LoadResult at the end.
struct ThreadStats {
  Histogram latency;
  std::uint64_t transport_errors = 0;
  std::uint64_t timeouts = 0;
  std::array<std::uint64_t, 6> status_classes{};
  std::uint64_t body_bytes = 0;
  std::string first_error;
  // Read by the progress reporter while the thread runs.
  alignas(64) std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> errors{0};
};

struct Shared {
  const LoadOptions& options;
  std::string request;
  bool head = false;
  bool tls = false;
  std::string sni;
  tcp::resolver::results_type endpoints;
  Clock::time_point start;
  Clock::time_point deadline;
  Clock::duration interval{0};  // per connection, open model
};

class Worker;

// One keep-alive connection. Stream is tcp::socket or ssl::stream<tcp::socket>.
template <typename Stream>
class Connection {
 public:
  Connection(Worker& worker, const Shared& shared, ThreadStats& stats, asio::ssl::context* tls,
             Clock::time_point first_due)
      : worker_(worker), shared_(shared), stats_(stats), tls_(tls), timer_(io()), next_due_(first_due) {
    buffer_.resize(16 * 1024);
  }

  void start() { connect(); }

  void stop() {
    stopped_ = true;
    timer_.cancel();
    close();
  }

  // Called by the worker's sweep: closes a connection whose request is overdue.
  void check_timeout(Clock::time_point now) {
    if (in_flight_ && now - sent_at_ > shared_.options.timeout) {
      timed_out_ = true;
      close();
    }
  }

 private:
  asio::io_context& io();

  void close() {
    if (!stream_) return;
    error_code ec;
    stream_->lowest_layer().close(ec);
  }

  void make_stream() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      stream_ = std::make_unique<Stream>(io());
    } else {
      stream_ = std::make_unique<Stream>(io(), *tls_);
      SSL_ctrl(stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(shared_.sni.c_str()));
    }
  }

  void connect() {
    if (stopped_) return;
    make_stream();
    in_flight_ = true;
    sent_at_ = Clock::now();
    asio::async_connect(stream_->lowest_layer(), shared_.endpoints, [this](const error_code& ec, const tcp::endpoint&) {
      if (ec) return failed(ec, "connect");
      error_code ignored;
      stream_->lowest_layer().set_option(tcp::no_delay(true), ignored);
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        in_flight_ = false;
        next();
      } else {
        stream_->async_handshake(asio::ssl::stream_base::client, [this](const error_code& e) {
          if (e) return failed(e, "TLS handshake");
          in_flight_ = false;
          next();
        });
      }
    });
  }

  // Schedules the next request according to the model.
  void next() {
    if (stopped_) return;
    const auto now = Clock::now();
    if (now >= shared_.deadline) return;
    Clock::time_point due = now;
    if (shared_.interval.count() > 0) {
      due = next_due_;
      next_due_ += shared_.interval;
      if (due >= shared_.deadline) return;
    } else if (shared_.options.think_time.count() > 0 && !first_) {
      due = now + shared_.options.think_time;
    }
    first_ = false;
    if (due <= now) return send(due);
    timer_.expires_at(due);
    timer_.async_wait([this, due](const error_code& ec) {
      if (!ec) send(due);
    });
  }

  void send(Clock::time_point due) {
    if (stopped_) return;
    due_ = due;
    sent_at_ = Clock::now();
    in_flight_ = true;
    framing_.reset(shared_.head);
    asio::async_write(*stream_, asio::buffer(shared_.request), [this](const error_code& ec, std::size_t) {
      if (ec) return failed(ec, "write");
      read();
    });
  }

  void read() {
    stream_->async_read_some(asio::buffer(buffer_), [this](const error_code& ec, std::size_t n) {
      if (ec) {
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
          framing_.end_of_stream();
          if (framing_.done()) return complete(false);
        }
        return failed(ec, "read");
      }
      framing_.feed(std::string_view(buffer_.data(), n));
      if (framing_.error()) return failed({}, framing_.error_message());
      if (!framing_.done()) return read();
      complete(framing_.keep_alive());
    });
  }

  void complete(bool keep_alive) {
    in_flight_ = false;
    const auto now = Clock::now();
    if (now <= shared_.deadline) {
      // Open model: from when it was due; closed model: due == sent.
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - due_).count();
      stats_.latency.record(static_cast<std::uint64_t>(us < 1 ? 1 : us));
      const int status = framing_.status();
      stats_.status_classes[static_cast<std::size_t>(std::min(status / 100, 5))]++;
      stats_.body_bytes += framing_.body_bytes();
      stats_.requests.fetch_add(1, std::memory_order_relaxed);
      if (status >= 400) stats_.errors.fetch_add(1, std::memory_order_relaxed);
    }
    if (keep_alive) return next();
    close();
    connect_then_next();
  }

  void connect_then_next() {
    if (stopped_) return;
    connect();
  }

  void failed(const error_code& ec, std::string_view what) {
    in_flight_ = false;
    if (stopped_ || (ec == asio::error::operation_aborted && !timed_out_)) return;
    if (Clock::now() <= shared_.deadline) {
      stats_.transport_errors++;
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      if (timed_out_) stats_.timeouts++;
      if (stats_.first_error.empty()) {
        stats_.first_error =
            timed_out_ ? "request timed out" : fmt::format("{}: {}", what, ec ? ec.message() : std::string());
      }
    }
    timed_out_ = false;
    close();
    // Back off a little so a refused port does not spin.
    timer_.expires_after(std::chrono::milliseconds(10));
    timer_.async_wait([this](const error_code& e) {
      if (!e) connect();
    });
  }

  Worker& worker_;
  const Shared& shared_;
  ThreadStats& stats_;
  asio::ssl::context* tls_;
  std::unique_ptr<Stream> stream_;
  asio::steady_timer timer_;
  std::vector<char> buffer_;
  ResponseFraming framing_;
  Clock::time_point next_due_;
  Clock::time_point due_;
  Clock::time_point sent_at_;
  bool in_flight_ = false;
  bool timed_out_ = false;
  bool stopped_ = false;
  bool first_ = true;
};

using PlainConnection = Connection<tcp::socket>;
using TlsConnection = Connection<asio::ssl::stream<tcp::socket>>;

// One thread: an io_context, its connections, a deadline and a timeout sweep.
class Worker {
 public:
  Worker(const Shared& shared, ThreadStats& stats, asio::ssl::context* tls)
      : shared_(shared), stats_(stats), tls_(tls), io_(1), sweep_(io_), end_(io_) {}

  asio::io_context& io() { return io_; }

  void add(Clock::time_point first_due) {
    if (shared_.tls)
      tls_conns_.push_back(std::make_unique<TlsConnection>(*this, shared_, stats_, tls_, first_due));
    else
      plain_.push_back(std::make_unique<PlainConnection>(*this, shared_, stats_, tls_, first_due));
  }

  void run() {
    for (auto& c : plain_) c->start();
    for (auto& c : tls_conns_) c->start();
    end_.expires_at(shared_.deadline);
    end_.async_wait([this](const error_code&) {
      // A flag, not only cancel(): when the sweep expired in the same pass as end_, its handler
      // is already queued with success and cancel() cannot reach it; it must not re-arm.
      ended_ = true;
      sweep_.cancel();
      for (auto& c : plain_) c->stop();
      for (auto& c : tls_conns_) c->stop();
    });
    arm_sweep();
    io_.run();
  }

 private:
  void arm_sweep() {
    sweep_.expires_after(std::chrono::milliseconds(100));
    sweep_.async_wait([this](const error_code& ec) {
      if (ec || ended_) return;
      const auto now = Clock::now();
      for (auto& c : plain_) c->check_timeout(now);
      for (auto& c : tls_conns_) c->check_timeout(now);
      arm_sweep();
    });
  }

  const Shared& shared_;
  ThreadStats& stats_;
  asio::ssl::context* tls_;
  asio::io_context io_;
  asio::steady_timer sweep_;
  asio::steady_timer end_;
  bool ended_ = false;  // the deadline passed: nothing may schedule more work on io_
  std::vector<std::unique_ptr<PlainConnection>> plain_;
  std::vector<std::unique_ptr<TlsConnection>> tls_conns_;
};

template <typename Stream>
asio::io_context& Connection<Stream>::io() {
  return worker_.io();
}

}  // namespace

Result<LoadResult> run_load(const LoadOptions& options) {
  auto url = net::Url::parse(options.url);
  if (!url) return fail(url.error());
  if (url->scheme != "http" && url->scheme != "https") {
    return fail(Error::input("perf needs an http:// or https:// URL", options.url));
  }
  if (options.connections < 1) return fail(Error::input("--connections must be at least 1"));
  if (options.duration.count() <= 0) return fail(Error::input("--duration must be positive"));
  if (options.rate < 0) return fail(Error::input("--rate must not be negative"));

  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  error_code ec;
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return fail(Error::environment(fmt::format("cannot resolve {}: {}", url->host, ec.message())));

  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, options.connections);

  asio::ssl::context tls(asio::ssl::context::tls_client);
  if (url->secure()) {
    tls.set_default_verify_paths();
    if (!options.ca_file.empty()) tls.load_verify_file(options.ca_file, ec);
    tls.set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }

  Shared shared{
      options, build_request(options, *url), options.method == "HEAD", url->secure(), url->host, endpoints, {}, {}, {}};
  if (options.rate > 0) {
    shared.interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(options.connections) / options.rate));
  }
  // Connections start a little in the future so that every thread is up before the clock runs.
  shared.start = Clock::now() + std::chrono::milliseconds(20);
  shared.deadline = shared.start + options.duration;

  std::vector<std::unique_ptr<ThreadStats>> stats;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    stats.push_back(std::make_unique<ThreadStats>());
    workers.push_back(std::make_unique<Worker>(shared, *stats.back(), &tls));
  }
  for (int c = 0; c < options.connections; ++c) {
    // Open model: connection c is first due at c/N of an interval, so arrivals are evenly spaced.
    const auto offset = shared.interval * c / options.connections;
    workers[static_cast<std::size_t>(c % threads)]->add(shared.start + offset);
  }
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&w] { w->run(); });

  if (options.progress) {
    while (Clock::now() < shared.deadline) {
      std::this_thread::sleep_until(std::min(shared.deadline, Clock::now() + std::chrono::seconds(1)));
      LoadProgress p;
      p.elapsed_s = std::chrono::duration<double>(Clock::now() - shared.start).count();
      for (auto& s : stats) {
        p.requests += s->requests.load(std::memory_order_relaxed);
        p.errors += s->errors.load(std::memory_order_relaxed);
      }
      options.progress(p);
    }
  }
  for (auto& t : running) t.join();

  LoadResult result;
  result.open_model = options.rate > 0;
  result.seconds = std::chrono::duration<double>(shared.deadline - shared.start).count();
  for (auto& s : stats) {
    result.latency.merge(s->latency);
    result.requests += s->requests.load();
    result.errors += s->errors.load();
    result.transport_errors += s->transport_errors;
    result.timeouts += s->timeouts;
    result.body_bytes += s->body_bytes;
    for (std::size_t i = 0; i < result.status_classes.size(); ++i) result.status_classes[i] += s->status_classes[i];
    if (result.first_error.empty()) result.first_error = s->first_error;
  }
  return result;
}

}  // namespace slipway::verify
