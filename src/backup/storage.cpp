#include "backup/storage.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/fs.hpp"

namespace slipway::backup {

namespace fs = std::filesystem;

Result<void> Storage::put(const std::string& name, std::string_view data, bool private_data) {
  auto writer = create(name, private_data);
  if (!writer) return fail(writer.error());
  if (auto w = (*writer)->write(data); !w) return w;
  return (*writer)->commit();
}

Result<std::string> Storage::get(const std::string& name) {
  auto reader = open(name);
  if (!reader) return fail(reader.error());
  if ((*reader)->size() > kMaxSmallObject) {
    return fail(Error::input(fmt::format("{} bytes, more than the {} bytes a manifest or record may have",
                                         (*reader)->size(), kMaxSmallObject),
                             describe() + name));
  }
  std::string out;
  auto all = read_all(**reader, [&](std::string_view block) -> Result<void> {
    out.append(block);
    return {};
  });
  if (!all) return fail(all.error());
  return out;
}

Result<void> read_all(ObjectReader& in, const std::function<Result<void>(std::string_view)>& block) {
  std::vector<char> buf(256 * 1024);
  for (;;) {
    auto n = in.read(buf.data(), buf.size());
    if (!n) return fail(n.error());
    if (*n == 0) return {};
    if (auto b = block(std::string_view(buf.data(), *n)); !b) return b;
  }
}

namespace {

constexpr std::string_view kTempPrefix = ".tmp.";

class LocalWriter : public ObjectWriter {
 public:
  explicit LocalWriter(AtomicFile file) : file_(std::move(file)) {}
  Result<void> write(std::string_view data) override { return file_.write(data); }
  Result<void> commit() override { return file_.commit(); }

 private:
  AtomicFile file_;
};

// Reads no further than the size the file had when it was opened, so a file that grows while
// it is read (or a forged one) cannot make a reader run on.
class LocalReader : public ObjectReader {
 public:
  LocalReader(int fd, std::uint64_t size, fs::path path)
      : fd_(fd), size_(size), remaining_(size), path_(std::move(path)) {}
  ~LocalReader() override { ::close(fd_); }
  LocalReader(const LocalReader&) = delete;
  LocalReader& operator=(const LocalReader&) = delete;

  Result<std::size_t> read(void* data, std::size_t size) override {
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining_));
    if (size == 0) return std::size_t{0};
    for (;;) {
      const ssize_t n = ::read(fd_, data, size);
      if (n >= 0) {
        remaining_ -= static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
      }
      if (errno != EINTR) {
        return fail(Error::environment(fmt::format("cannot read: {}", std::strerror(errno)), path_.string()));
      }
    }
  }
  [[nodiscard]] std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
  std::uint64_t remaining_;
  fs::path path_;
};

// What a non-regular file is, for messages.
std::string_view file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "of another kind";
}

// Object names are flat: no folder separators, and not "." or "..".
bool valid_object_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

class LocalLock : public StorageLock {
 public:
  explicit LocalLock(int fd) : fd_(fd) {}
  ~LocalLock() override { ::close(fd_); }  // closing releases the flock
  LocalLock(const LocalLock&) = delete;
  LocalLock& operator=(const LocalLock&) = delete;

 private:
  int fd_;
};

class LocalDirectory : public Storage {
 public:
  explicit LocalDirectory(fs::path dir) : dir_(std::move(dir)) {}

  [[nodiscard]] std::string describe() const override { return dir_.string() + "/"; }
  [[nodiscard]] fs::path local_directory() const override { return dir_; }

  Result<std::unique_ptr<ObjectWriter>> create(const std::string& name, bool private_data) override {
    const fs::path temp = dir_ / fmt::format("{}{}.{}", kTempPrefix, ::getpid(), name);
    auto file = AtomicFile::create(dir_ / name, temp, private_data ? 0600 : 0644);
    if (!file) return fail(file.error());
    return std::unique_ptr<ObjectWriter>(std::make_unique<LocalWriter>(std::move(*file)));
  }

  // Only a regular file in the folder is an object: a symbolic link is not followed (O_NOFOLLOW)
  // and a FIFO, device or directory is refused after fstat() of what was opened (O_NONBLOCK, so
  // that opening a FIFO does not wait for a writer).
  Result<std::unique_ptr<ObjectReader>> open(const std::string& name) override {
    const std::string hint = "objects in the repository are regular files; put the real file back or remove it";
    if (!valid_object_name(name)) {
      return fail(Error::input(fmt::format("'{}' is not an object name of the repository", name), describe()));
    }
    const fs::path path = dir_ / name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
      if (errno == ENOENT) return fail(Error::input("no such object in the repository", path.string()));
      if (errno == ELOOP) return fail(Error::input("not a regular file (a symbolic link)", path.string(), hint));
      return fail(Error::environment(fmt::format("cannot open: {}", std::strerror(errno)), path.string()));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return fail(Error::environment(fmt::format("cannot stat: {}", std::strerror(err)), path.string()));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return fail(Error::input(fmt::format("not a regular file ({})", file_kind(st.st_mode)), path.string(), hint));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return std::unique_ptr<ObjectReader>(
        std::make_unique<LocalReader>(fd, static_cast<std::uint64_t>(st.st_size), path));
  }

  Result<std::vector<ObjectInfo>> list() override {
    std::vector<ObjectInfo> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with('.')) continue;
      // lstat: a symbolic link, FIFO or device is listed (open() refuses it, so a manifest of that
      // kind shows as damaged); folders are not objects.
      struct stat st {};
      if (::lstat(entry.path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
      out.push_back({name, static_cast<std::uint64_t>(st.st_size),
                     fmt::format("{}:{}.{}", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec)});
    }
    if (ec) return fail(Error::environment(fmt::format("cannot list: {}", ec.message()), dir_.string()));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  Result<void> remove(const std::string& name) override {
    const fs::path path = dir_ / name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail(Error::environment(fmt::format("cannot remove: {}", std::strerror(errno)), path.string()));
    }
    return fsync_directory(dir_);
  }

  // ".tmp.<pid>.<name>" of a process that is gone.
  Result<int> remove_incomplete() override {
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(kTempPrefix)) continue;
      const std::string rest = name.substr(kTempPrefix.size());
      const pid_t pid = static_cast<pid_t>(std::atol(rest.substr(0, rest.find('.')).c_str()));
      const bool alive = pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
      if (alive && pid != ::getpid()) continue;
      if (::unlink(entry.path().c_str()) == 0) ++removed;
    }
    if (ec) return fail(Error::environment(fmt::format("cannot list: {}", ec.message()), dir_.string()));
    return removed;
  }

  Result<std::unique_ptr<StorageLock>> lock() override {
    const fs::path path = dir_ / ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return fail(
          Error::environment(fmt::format("cannot open the lock file: {}", std::strerror(errno)), path.string()));
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(Error::environment(fmt::format("cannot lock: {}", std::strerror(err)), path.string()));
    }
    return std::unique_ptr<StorageLock>(std::make_unique<LocalLock>(fd));
  }

 private:
  fs::path dir_;
};

}  // namespace

Result<std::unique_ptr<Storage>> open_local_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      return fail(Error::environment(fmt::format("cannot create the backup repository: {}", ec.message()), dir.string(),
                                     "check backup.repository in slipway.toml"));
    }
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  return std::unique_ptr<Storage>(std::make_unique<LocalDirectory>(dir));
}

}  // namespace slipway::backup
