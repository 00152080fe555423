#include "core/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "core/units.hpp"

namespace slipway {

namespace {

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "something else";
}

}  // namespace

Result<std::string> read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. The checks are on
  // the opened descriptor, so the file cannot be swapped between the check and the read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    return fail(Error::input(fmt::format("cannot open: {}", std::strerror(errno)), path.string(),
                             "check that the file exists and is readable"));
  }
  const auto close_fd = [fd] { ::close(fd); };
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    close_fd();
    return fail(Error::input(fmt::format("cannot read: {}", std::strerror(err)), path.string()));
  }
  if (!S_ISREG(st.st_mode)) {
    close_fd();
    return fail(Error::input(fmt::format("not a regular file but {}", file_kind(st.st_mode)), path.string(),
                             "point it at a regular file"));
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    close_fd();
    return fail(Error::input(fmt::format("larger than the {} limit ({} bytes)", format_size(max_bytes),
                                         static_cast<std::uint64_t>(st.st_size)),
                             path.string(), "check that this is the file you meant"));
  }
  std::string data;
  data.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close_fd();
      return fail(Error::input(fmt::format("cannot read: {}", std::strerror(err)), path.string()));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) {  // it grew after fstat
      close_fd();
      return fail(Error::input(fmt::format("larger than the {} limit", format_size(max_bytes)), path.string(),
                               "check that this is the file you meant"));
    }
  }
  close_fd();
  return data;
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data) {
  auto file = AtomicFile::create(path);
  if (!file) return fail(file.error());
  if (auto w = file->write(data); !w) return w;
  return file->commit();
}

AtomicFile::AtomicFile(std::filesystem::path path, std::filesystem::path temp, int fd)
    : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)),
      written_(other.written_) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    abort();
    path_ = std::move(other.path_);
    temp_ = std::move(other.temp_);
    fd_ = std::exchange(other.fd_, -1);
    written_ = other.written_;
  }
  return *this;
}

AtomicFile::~AtomicFile() {
  abort();
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& path, const std::filesystem::path& temp,
                                      unsigned mode) {
  std::filesystem::path tmp =
      temp.empty() ? std::filesystem::path(path.string() + fmt::format(".tmp.{}", ::getpid())) : temp;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return fail(Error::environment(fmt::format("cannot create: {}", std::strerror(errno)), tmp.string()));
  }
  return AtomicFile(path, std::move(tmp), fd);
}

Result<void> AtomicFile::write(std::string_view data) {
  if (fd_ < 0) return fail(Error::environment("write after commit or abort", temp_.string()));
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Error::environment(fmt::format("cannot write: {}", std::strerror(errno)), temp_.string()));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    written_ += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<void> AtomicFile::commit() {
  if (fd_ < 0) return fail(Error::environment("commit after commit or abort", temp_.string()));
  if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    return fail(Error::environment(fmt::format("cannot flush: {}", std::strerror(err)), temp_.string()));
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    return fail(Error::environment(fmt::format("cannot rename into place: {}", std::strerror(err)), path_.string()));
  }
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  return fsync_directory(dir);
}

void AtomicFile::abort() {
  if (fd_ < 0) return;
  ::close(std::exchange(fd_, -1));
  ::unlink(temp_.c_str());
}

Result<void> fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(Error::environment(fmt::format("cannot open: {}", std::strerror(errno)), dir.string()));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(Error::environment(fmt::format("cannot fsync: {}", std::strerror(err)), dir.string()));
  return {};
}

}  // namespace slipway
