// The tls probe: one verifying handshake with address (net::check_certificate), failing on the
// first of: a chain that does not verify against the system's CAs (and ca_file), a certificate
// whose names do not cover server_name, fewer than cert_days days left.
#include <fmt/format.h>

#include "core/redact.hpp"
#include "net/tls_probe.hpp"
#include "watch/probe_kinds.hpp"

namespace slipway::watch {

namespace {

constexpr std::int64_t kDefaultCertDays = 14;

class TlsProbe final : public Probe {
 public:
  TlsProbe(const WatchProbe& p, net::HostPort address)
      : address_(std::move(address)),
        server_name_(p.server_name.empty() ? address_.host : p.server_name),
        ca_file_(p.ca_file.string()),
        cert_days_(p.cert_days.value_or(kDefaultCertDays)),
        timeout_(p.timeout) {}

  ProbeResult run() override {
    const auto start = Steady::now();
    auto cert = net::check_certificate(address_.host, std::to_string(address_.port), server_name_, ca_file_,
                                       std::chrono::duration_cast<std::chrono::milliseconds>(timeout_));
    if (!cert) return failed(cert.error().message, start);
    const auto now = std::chrono::system_clock::now();
    ProbeResult out{true, "", since(start)};
    out.values.emplace_back("cert_days_left", std::chrono::floor<std::chrono::days>(cert->not_after - now).count());
    if (!cert->chain_valid)
      out.reason = fmt::format("certificate chain for {} does not verify: {}{}", server_name_, cert->chain_error,
                               ca_file_.empty() ? "" : fmt::format(" (with ca_file {})", ca_file_));
    else if (!cert->hostname_ok)
      out.reason = fmt::format("certificate ({}) is not valid for the name {}", cert->subject, server_name_);
    else
      out.reason = certificate_days_problem(server_name_, cert->not_after, cert_days_, now);
    out.ok = out.reason.empty();
    out.reason = redact(out.reason);
    return out;
  }

 private:
  net::HostPort address_;
  std::string server_name_;
  std::string ca_file_;
  std::int64_t cert_days_;
  Duration timeout_;
};

}  // namespace

Result<std::unique_ptr<Probe>> make_tls_probe(const WatchProbe& p, const Config& config) {
  auto address = probe_address(p, config);
  if (!address) return fail(address.error());
  return std::unique_ptr<Probe>(std::make_unique<TlsProbe>(p, std::move(*address)));
}

}  // namespace slipway::watch
