#include "verify/response_framing.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace slipway::verify {
namespace {

constexpr std::size_t kHeadLimit = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains_token(std::string_view list, std::string_view token) {
  // Comma-separated tokens, compared case-insensitively.
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void ResponseFraming::reset(bool head_request) {
  state_ = State::status_and_headers;
  head_request_ = head_request;
  head_.clear();
  scanned_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  status_ = 0;
  keep_alive_ = true;
  error_.clear();
}

void ResponseFraming::fail(std::string message) {
  state_ = State::error;
  error_ = std::move(message);
}

bool ResponseFraming::parse_head() {
  // head_ holds "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n".
  std::string_view head = head_;
  const auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    fail("not an HTTP/1.x status line");
    return false;
  }
  const bool http10 = status_line[7] == '0';
  int status = 0;
  const auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || p != status_line.data() + 12 || status < 100 || status > 999) {
    fail("bad status code");
    return false;
  }
  status_ = status;
  keep_alive_ = !http10;
  bool chunked = false;
  bool have_length = false;
  std::size_t length = 0;
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      fail("a header line without a colon");
      return false;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      const auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || q != value.data() + value.size() || (have_length && n != length)) {
        fail("bad Content-Length");
        return false;
      }
      have_length = true;
      length = n;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = icontains_token(value, "chunked");
    } else if (iequals(name, "connection")) {
      if (icontains_token(value, "close")) keep_alive_ = false;
      if (icontains_token(value, "keep-alive")) keep_alive_ = true;
    }
  }
  head_.clear();
  scanned_ = 0;
  if (head_request_ || status_ == 204 || status_ == 304 || status_ < 200) {
    // 1xx interim responses are not expected: the load generator sends no Expect header.
    state_ = State::done;
  } else if (chunked) {
    state_ = State::chunk_size;
  } else if (have_length) {
    remaining_ = length;
    state_ = length == 0 ? State::done : State::body_length;
  } else {
    keep_alive_ = false;
    state_ = State::until_close;
  }
  return true;
}

std::size_t ResponseFraming::feed(std::string_view bytes) {
  std::size_t used = 0;
  while (used < bytes.size() && state_ != State::done && state_ != State::error) {
    std::string_view rest = bytes.substr(used);
    switch (state_) {
      case State::status_and_headers:
      case State::chunk_size:
      case State::trailers: {
        // Accumulate one line (chunk size, trailer) or the whole head, then act on it.
        const std::string_view terminator = state_ == State::status_and_headers ? "\r\n\r\n" : "\r\n";
        const std::size_t before = head_.size();
        // Search the new bytes plus a few old ones for a terminator that straddles reads.
        const std::size_t from = scanned_ >= terminator.size() - 1 ? scanned_ - (terminator.size() - 1) : 0;
        head_.append(rest.data(), std::min(rest.size(), kHeadLimit + 4 - std::min(before, kHeadLimit + 4)));
        const auto found = std::string_view(head_).find(terminator, from);
        if (found == std::string_view::npos) {
          if (head_.size() > kHeadLimit) {
            fail("response head larger than 64 KiB");
            return used;
          }
          scanned_ = head_.size();
          used += head_.size() - before;
          break;
        }
        const std::size_t end = found + terminator.size();
        used += end - before;
        head_.resize(end);
        if (state_ == State::status_and_headers) {
          if (!parse_head()) return used;
        } else if (state_ == State::chunk_size) {
          std::string_view line(head_.data(), end - 2);
          if (const auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
          while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
          std::size_t n = 0;
          const auto [q, e] = std::from_chars(line.data(), line.data() + line.size(), n, 16);
          if (line.empty() || e != std::errc() || q != line.data() + line.size()) {
            fail("bad chunk size");
            return used;
          }
          head_.clear();
          scanned_ = 0;
          remaining_ = n;
          state_ = n == 0 ? State::trailers : State::chunk_data;
        } else {  // trailers: an empty line ends the message
          const bool empty = end == 2;
          head_.clear();
          scanned_ = 0;
          if (empty) state_ = State::done;
        }
        break;
      }
      case State::body_length:
      case State::chunk_data: {
        const std::size_t n = std::min(remaining_, rest.size());
        remaining_ -= n;
        body_bytes_ += n;
        used += n;
        if (remaining_ == 0) state_ = state_ == State::body_length ? State::done : State::chunk_crlf;
        break;
      }
      case State::chunk_crlf: {
        // The CRLF after a chunk's data; may arrive split across reads.
        const std::size_t take = std::min<std::size_t>(rest.size(), 2 - head_.size());
        head_.append(rest.data(), take);
        used += take;
        if (head_.size() == 2) {
          if (head_ != "\r\n") {
            fail("chunk data not followed by CRLF");
            return used;
          }
          head_.clear();
          state_ = State::chunk_size;
        }
        break;
      }
      case State::until_close:
        body_bytes_ += rest.size();
        used += rest.size();
        break;
      case State::done:
      case State::error: break;
    }
  }
  return used;
}

void ResponseFraming::end_of_stream() {
  if (state_ == State::until_close) {
    state_ = State::done;
  } else if (state_ != State::done) {
    fail("the connection closed in the middle of a response");
  }
}

}  // namespace slipway::verify
