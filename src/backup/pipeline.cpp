#include "backup/pipeline.hpp"

#include <sodium.h>
#include <zstd.h>

#include <charconv>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/hash.hpp"

namespace slipway::backup {

namespace {

constexpr std::string_view kMagic = "SLPWENC1";
constexpr std::size_t kChunk = 65536;
constexpr std::size_t kSealedChunk = kChunk + crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr std::size_t kHeaderBytes = kMagic.size() + crypto_secretstream_xchacha20poly1305_HEADERBYTES;

Error zstd_error(std::size_t code, std::string_view what) {
  return Error::environment(fmt::format("zstd {}: {}", what, ZSTD_getErrorName(code)));
}

}  // namespace

Result<int> parse_compression(const std::string& text, const std::string& where) {
  if (text == "zstd") return 3;
  int level = 0;
  if (text.starts_with("zstd:")) {
    const char* begin = text.data() + 5;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, level);
    if (ec == std::errc() && ptr == end && begin != end && level >= 1 && level <= 19) return level;
  }
  return fail(Error::input(fmt::format("unknown compression '{}'", text), where,
                           "write \"zstd:N\" with N from 1 (fastest) to 19 (smallest); the default is \"zstd:3\""));
}

// ---------------------------------------------------------------------------------------------
// Encoder

struct Encoder::Impl {
  ObjectWriter* out = nullptr;
  ZSTD_CCtx* cctx = nullptr;
  bool encrypt = false;
  crypto_secretstream_xchacha20poly1305_state state{};
  std::string pending;  // zstd output not yet sealed into a chunk
  std::vector<char> zbuf = std::vector<char>(ZSTD_CStreamOutSize());
  std::string sealed;
  Sha256 dump_hash;
  Sha256 archive_hash;
  StreamStats stats;

  ~Impl() {
    ZSTD_freeCCtx(cctx);
    sodium_memzero(&state, sizeof state);
  }

  Result<void> store(std::string_view bytes) {
    archive_hash.update(bytes);
    stats.archive_bytes += bytes.size();
    return out->write(bytes);
  }

  Result<void> seal(std::string_view chunk, unsigned char tag) {
    sealed.resize(chunk.size() + crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long len = 0;
    crypto_secretstream_xchacha20poly1305_push(&state, reinterpret_cast<unsigned char*>(sealed.data()), &len,
                                               reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(),
                                               nullptr, 0, tag);
    return store(std::string_view(sealed.data(), static_cast<std::size_t>(len)));
  }

  // Compressed bytes on their way out: sealed in whole chunks when encrypting. A full chunk is
  // kept back until more follows, so that finish() always has a chunk to mark final.
  Result<void> emit(std::string_view compressed) {
    if (!encrypt) return store(compressed);
    pending.append(compressed);
    std::size_t done = 0;
    while (pending.size() - done > kChunk) {
      if (auto s = seal(std::string_view(pending).substr(done, kChunk), 0); !s) return s;
      done += kChunk;
    }
    pending.erase(0, done);
    return {};
  }

  Result<void> compress(std::string_view data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer zout{zbuf.data(), zbuf.size(), 0};
      const std::size_t remaining = ZSTD_compressStream2(cctx, &zout, &in, mode);
      if (ZSTD_isError(remaining)) return fail(zstd_error(remaining, "compression failed"));
      if (zout.pos > 0) {
        if (auto e = emit(std::string_view(zbuf.data(), zout.pos)); !e) return e;
      }
      const bool done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
      if (done) return {};
    }
  }
};

Encoder::Encoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;
Encoder::~Encoder() = default;

Result<Encoder> Encoder::create(ObjectWriter& out, int level, int threads, const Key* key) {
  if (sodium_init() < 0) return fail(Error::environment("libsodium failed to initialise"));
  auto impl = std::make_unique<Impl>();
  impl->out = &out;
  impl->cctx = ZSTD_createCCtx();
  if (!impl->cctx) return fail(Error::environment("zstd: out of memory"));
  const int workers = threads > 0 ? threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  for (auto [param, value] : {std::pair{ZSTD_c_compressionLevel, level}, std::pair{ZSTD_c_checksumFlag, 1},
                              std::pair{ZSTD_c_nbWorkers, workers}}) {
    const std::size_t rc = ZSTD_CCtx_setParameter(impl->cctx, param, value);
    // A libzstd built without threads refuses nbWorkers; it then compresses on this thread.
    if (ZSTD_isError(rc) && param != ZSTD_c_nbWorkers) return fail(zstd_error(rc, "setup failed"));
  }
  if (key) {
    impl->encrypt = true;
    std::string header(kMagic);
    header.resize(kHeaderBytes);
    crypto_secretstream_xchacha20poly1305_init_push(
        &impl->state, reinterpret_cast<unsigned char*>(header.data() + kMagic.size()), key->bytes.data());
    if (auto s = impl->store(header); !s) return fail(s.error());
  }
  return Encoder(std::move(impl));
}

Result<void> Encoder::write(std::string_view dump_bytes) {
  impl_->dump_hash.update(dump_bytes);
  impl_->stats.dump_bytes += dump_bytes.size();
  return impl_->compress(dump_bytes, ZSTD_e_continue);
}

Result<StreamStats> Encoder::finish() {
  Impl& p = *impl_;
  if (auto c = p.compress({}, ZSTD_e_end); !c) return fail(c.error());
  if (p.encrypt) {
    if (auto s = p.seal(p.pending, crypto_secretstream_xchacha20poly1305_TAG_FINAL); !s) return fail(s.error());
    p.pending.clear();
  }
  p.stats.dump_sha256 = p.dump_hash.hex();
  p.stats.archive_sha256 = p.archive_hash.hex();
  return p.stats;
}

// ---------------------------------------------------------------------------------------------
// Decoder

namespace {

class Decoder {
 public:
  Decoder(bool encrypted, const Key* key, const DumpSink& sink) : encrypted_(encrypted), key_(key), sink_(sink) {
    dctx_ = ZSTD_createDCtx();
  }
  ~Decoder() {
    ZSTD_freeDCtx(dctx_);
    sodium_memzero(&state_, sizeof state_);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Raw archive bytes, as read.
  Result<void> feed(std::string_view raw) {
    archive_hash_.update(raw);
    const std::uint64_t offset = stats_.archive_bytes;
    stats_.archive_bytes += raw.size();
    if (!corrupt_.empty()) return {};
    if (!encrypted_) return decompress(raw, offset);
    buffer_.append(raw);
    std::size_t used = 0;
    if (!header_done_) {
      if (buffer_.size() < kHeaderBytes) return {};
      if (std::string_view(buffer_).substr(0, kMagic.size()) != kMagic) {
        corrupt_ = "the encryption header is damaged (bad magic bytes at offset 0)";
        return {};
      }
      if (crypto_secretstream_xchacha20poly1305_init_pull(
              &state_, reinterpret_cast<const unsigned char*>(buffer_.data() + kMagic.size()), key_->bytes.data()) !=
          0) {
        corrupt_ = "the encryption header is damaged";
        return {};
      }
      header_done_ = true;
      used = kHeaderBytes;
      chunk_offset_ = kHeaderBytes;
    }
    // A whole sealed chunk can be opened; a shorter rest waits for more bytes or the end.
    while (buffer_.size() - used >= kSealedChunk && corrupt_.empty()) {
      if (auto o = open_chunk(std::string_view(buffer_).substr(used, kSealedChunk)); !o) return o;
      used += kSealedChunk;
    }
    buffer_.erase(0, used);
    return {};
  }

  Result<void> end() {
    if (corrupt_.empty() && encrypted_) {
      if (!header_done_) {
        corrupt_ =
            fmt::format("the archive is truncated: {} bytes, shorter than the encryption header", stats_.archive_bytes);
      } else if (!buffer_.empty()) {
        if (auto o = open_chunk(buffer_); !o) return o;
      }
      if (corrupt_.empty() && !final_seen_) {
        corrupt_ = fmt::format("the archive is truncated: no final chunk after {} bytes", stats_.archive_bytes);
      }
    }
    if (corrupt_.empty() && !frame_complete_) {
      corrupt_ = fmt::format("the compressed stream is truncated after {} bytes", stats_.archive_bytes);
    }
    return {};
  }

  DecodeResult result() {
    DecodeResult r;
    r.stats = stats_;
    r.stats.dump_sha256 = dump_hash_.hex();
    r.stats.archive_sha256 = archive_hash_.hex();
    r.corrupt = corrupt_;
    return r;
  }

 private:
  Result<void> open_chunk(std::string_view sealed) {
    if (final_seen_) {
      corrupt_ = fmt::format("data follows the final chunk at byte {}", chunk_offset_);
      return {};
    }
    plain_.resize(sealed.size());
    unsigned long long len = 0;
    unsigned char tag = 0;
    if (sealed.size() < crypto_secretstream_xchacha20poly1305_ABYTES ||
        crypto_secretstream_xchacha20poly1305_pull(&state_, reinterpret_cast<unsigned char*>(plain_.data()), &len, &tag,
                                                   reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(),
                                                   nullptr, 0) != 0) {
      corrupt_ = fmt::format("decryption failed: the chunk at bytes {}-{} does not authenticate", chunk_offset_,
                             chunk_offset_ + sealed.size() - 1);
      return {};
    }
    const std::uint64_t offset = chunk_offset_;
    chunk_offset_ += sealed.size();
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) final_seen_ = true;
    return decompress(std::string_view(plain_.data(), static_cast<std::size_t>(len)), offset);
  }

  Result<void> decompress(std::string_view compressed, std::uint64_t offset) {
    ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{zbuf_.data(), zbuf_.size(), 0};
      const std::size_t rc = ZSTD_decompressStream(dctx_, &out, &in);
      if (ZSTD_isError(rc)) {
        corrupt_ = fmt::format("decompression failed near archive byte {}: {}", offset, ZSTD_getErrorName(rc));
        return {};
      }
      frame_complete_ = rc == 0;
      if (out.pos > 0) {
        if (auto d = deliver(std::string_view(zbuf_.data(), out.pos)); !d) return d;
      }
    }
    return {};
  }

  Result<void> deliver(std::string_view dump) {
    dump_hash_.update(dump);
    stats_.dump_bytes += dump.size();
    if (!sink_open_ || !sink_) return {};
    auto accepted = sink_(dump);
    if (!accepted) return fail(accepted.error());
    sink_open_ = *accepted;
    return {};
  }

  bool encrypted_;
  const Key* key_;
  const DumpSink& sink_;
  ZSTD_DCtx* dctx_ = nullptr;
  crypto_secretstream_xchacha20poly1305_state state_{};
  bool header_done_ = false;
  bool final_seen_ = false;
  bool frame_complete_ = false;
  bool sink_open_ = true;
  std::uint64_t chunk_offset_ = 0;
  std::string buffer_;
  std::string plain_;
  std::vector<char> zbuf_ = std::vector<char>(ZSTD_DStreamOutSize());
  Sha256 dump_hash_;
  Sha256 archive_hash_;
  StreamStats stats_;
  std::string corrupt_;
};

}  // namespace

Result<DecodeResult> decode(ObjectReader& in, bool encrypted, const Key* key, const DumpSink& sink,
                            const std::function<void(std::uint64_t)>& progress) {
  if (encrypted && !key) return fail(Error::input("the archive is encrypted and no key was given"));
  if (sodium_init() < 0) return fail(Error::environment("libsodium failed to initialise"));
  Decoder decoder(encrypted, key, sink);
  std::uint64_t read = 0;
  auto all = read_all(in, [&](std::string_view block) -> Result<void> {
    read += block.size();
    if (auto f = decoder.feed(block); !f) return f;
    if (progress) progress(read);
    return {};
  });
  if (!all) return fail(all.error());
  if (auto e = decoder.end(); !e) return fail(e.error());
  return decoder.result();
}

Result<std::pair<std::string, std::uint64_t>> hash_object(ObjectReader& in,
                                                          const std::function<void(std::uint64_t)>& progress) {
  Sha256 hash;
  std::uint64_t total = 0;
  auto all = read_all(in, [&](std::string_view block) -> Result<void> {
    hash.update(block);
    total += block.size();
    if (progress) progress(total);
    return {};
  });
  if (!all) return fail(all.error());
  return std::pair{hash.hex(), total};
}

}  // namespace slipway::backup
