// Where one HTTP/1.1 response ends in a byte stream, for the load generator.
//
// The load generator reads responses it does not keep: it needs the status, whether the server
// will close the connection, and where the message ends (Content-Length, chunked, or the end of
// the stream). ResponseFraming finds exactly that, incrementally, without copying the body:
//
//   ResponseFraming f;                      // per connection, reset() between responses
//   auto used = f.feed(bytes);              // bytes consumed; f.done() once the message ended
//   f.status(), f.keep_alive()
//
// Header bytes are buffered only until the blank line (at most 64 KiB); body bytes are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slipway::verify {

class ResponseFraming {
 public:
  enum class State {
    status_and_headers,
    body_length,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailers,
    until_close,
    done,
    error
  };

  // `head_request`: the response to a HEAD has no body whatever its headers say.
  void reset(bool head_request = false);

  // Consumes bytes of the response and returns how many belong to it (the rest, if any, is the
  // start of something else). Stops at done() or error().
  std::size_t feed(std::string_view bytes);
  // The server closed the connection: a body delimited by the close ends here.
  void end_of_stream();

  [[nodiscard]] bool done() const { return state_ == State::done; }
  [[nodiscard]] bool error() const { return state_ == State::error; }
  [[nodiscard]] const std::string& error_message() const { return error_; }
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] bool keep_alive() const { return keep_alive_; }
  [[nodiscard]] std::size_t body_bytes() const { return body_bytes_; }

 private:
  bool parse_head();
  void fail(std::string message);

  State state_ = State::status_and_headers;
  bool head_request_ = false;
  std::string head_;         // status line and headers, or the current chunk-size / trailer line
  std::size_t scanned_ = 0;  // bytes of head_ already searched for the terminator
  std::size_t remaining_ = 0;
  std::size_t body_bytes_ = 0;
  int status_ = 0;
  bool keep_alive_ = true;
  std::string error_;
};

}  // namespace slipway::verify
