#include "server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace slipway::test {
namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

void stop(pid_t& pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  pid = -1;
}

}  // namespace

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

Nginx::Nginx(std::string http_block, int ports, const std::function<void(const std::string&)>& prepare) {
  const char* nginx = "/usr/sbin/nginx";
  if (access(nginx, X_OK) != 0) {
    throw std::runtime_error("nginx is not installed: run scripts/setup.sh (it installs nginx-light)");
  }
  char tmpl[] = "/tmp/slipway-nginx.XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  // nginx started as root serves as an unprivileged worker user, which must read the directory.
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                         std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                         std::filesystem::perms::others_exec);
  std::filesystem::create_directories(dir_ + "/tmp");
  for (int i = 0; i < ports; ++i) {
    ports_.push_back(free_port());
    replace_all(http_block, "@PORT" + std::to_string(i) + "@", std::to_string(ports_.back()));
  }
  replace_all(http_block, "@DIR@", dir_);
  std::ofstream(dir_ + "/nginx.conf") << "worker_processes 1;\ndaemon off;\npid " << dir_ << "/nginx.pid;\n"
                                      << "error_log " << dir_ << "/error.log;\nevents { worker_connections 1024; }\n"
                                      << "http {\n  access_log off;\n  client_body_temp_path " << dir_ << "/tmp;\n"
                                      << "  proxy_temp_path " << dir_ << "/tmp;\n  fastcgi_temp_path " << dir_
                                      << "/tmp;\n  uwsgi_temp_path " << dir_ << "/tmp;\n  scgi_temp_path " << dir_
                                      << "/tmp;\n  default_type application/octet-stream;\n"
                                      << http_block << "\n}\n";
  if (prepare) prepare(dir_);
  pid_ = fork();
  if (pid_ == 0) {
    execl(nginx, nginx, "-p", dir_.c_str(), "-c", (dir_ + "/nginx.conf").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int p : ports_) {
    if (!wait_for_port(p)) {
      std::ifstream log(dir_ + "/error.log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      stop(pid_);
      throw std::runtime_error("nginx did not start: " + text);
    }
  }
}

Nginx::~Nginx() {
  stop(pid_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

ChildServer::ChildServer(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = {};
  if (!f || !fgets(line, sizeof line, f) || std::sscanf(line, "ready %d", &port_) != 1) {
    if (f) fclose(f);
    stop(pid_);
    throw std::runtime_error("server did not start: " + argv.front());
  }
  fclose(f);
}

ChildServer::~ChildServer() {
  stop(pid_);
}

}  // namespace slipway::test
