#include "core/fs.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace slipway {

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(Error::input(fmt::format("cannot read: {}", std::strerror(errno)), path.string(),
                             "check that the file exists and is readable"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data) {
  const std::filesystem::path tmp = path.string() + fmt::format(".tmp.{}", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(Error::environment(fmt::format("cannot create: {}", std::strerror(errno)), tmp.string()));
  }
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(Error::environment(fmt::format("cannot write: {}", std::strerror(err)), tmp.string()));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(Error::environment(fmt::format("cannot flush: {}", std::strerror(err)), tmp.string()));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(Error::environment(fmt::format("cannot rename into place: {}", std::strerror(err)), path.string()));
  }
  return {};
}

}  // namespace slipway
