#include "postgres.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <unistd.h>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "process.hpp"

namespace slipway::test {

Postgres& Postgres::instance() {
  static Postgres server;
  return server;
}

Postgres::Postgres() {
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    setsid();  // a Ctrl-C on the test does not kill the sandbox before it cleans up
    const std::string script = source_path("scripts/pg-sandbox");
    execl("/bin/bash", "bash", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  // to_child[1] stays open (and close-on-exec) for the life of this process.
  std::string line;
  char c = 0;
  while (read(from_child[0], &c, 1) == 1 && c != '\n') line += c;
  close(from_child[0]);
  if (!line.starts_with("ready ")) throw std::runtime_error("pg-sandbox did not start PostgreSQL: " + line);
  admin_url_ = line.substr(6);
}

std::string Postgres::create_database() {
  const std::string name = "test_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  exec(admin_url_, "CREATE DATABASE " + name);
  const auto slash = admin_url_.rfind('/');
  return admin_url_.substr(0, slash + 1) + name;
}

std::string Postgres::create_role(const std::string& url, const std::string& role, const std::string& grants) {
  exec(url, "CREATE ROLE " + role + " LOGIN");
  if (!grants.empty()) exec(url, grants);
  std::string as_role = url;
  const auto at = as_role.find("postgres@");
  if (at != std::string::npos) as_role.replace(at, 9, role + "@");
  return as_role;
}

void Postgres::exec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* res = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(res);
  EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << PQresultErrorMessage(res) << "\n" << sql;
  PQclear(res);
  PQfinish(conn);
}

}  // namespace slipway::test
