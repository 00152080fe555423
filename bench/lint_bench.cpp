// slipway lint against a plain libpg_query parse of the same corpus, in the same run.
//
// The corpus is every rule fixture and the example app's migrations, repeated until it holds at
// least 5,000 statements, split into files as a migrations folder is. Both sides parse every file;
// lint also unpacks the tree, runs every rule, tracks state across files and resolves verdicts.
// Each side runs `rounds` times, alternating, and the median is reported.
//
//   bench/lint_bench [rounds]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <pg_query.h>

#include "lint/linter.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> load_corpus(const fs::path& root, std::size_t& statements) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root / "tests/lint/fixtures")) {
    if (e.path().extension() == ".sql") files.push_back(read(e.path()));
  }
  for (const auto& e : fs::recursive_directory_iterator(root / "examples/loans/prisma/migrations")) {
    if (e.path().extension() == ".sql") files.push_back(read(e.path()));
  }
  std::sort(files.begin(), files.end());
  std::size_t per_copy = 0;
  for (const auto& f : files) {
    slipway::sql::ParsedFile parsed = slipway::sql::ParsedFile::parse(f);
    per_copy += parsed.statements().size();
  }
  std::vector<std::string> corpus;
  statements = 0;
  while (statements < 5000) {
    corpus.insert(corpus.end(), files.begin(), files.end());
    statements += per_copy;
  }
  return corpus;
}

template <typename F>
double seconds(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  std::size_t statements = 0;
  const auto corpus = load_corpus(SLIPWAY_SOURCE_DIR, statements);
  std::size_t bytes = 0;
  for (const auto& f : corpus) bytes += f.size();

  std::vector<double> parse_json, parse_protobuf, lint, lint_render;
  for (int r = 0; r < rounds; ++r) {
    parse_json.push_back(seconds([&] {
      for (const auto& f : corpus) pg_query_free_parse_result(pg_query_parse(f.c_str()));
    }));
    parse_protobuf.push_back(seconds([&] {
      for (const auto& f : corpus) pg_query_free_protobuf_parse_result(pg_query_parse_protobuf(f.c_str()));
    }));
    lint.push_back(seconds([&] {
      slipway::lint::Linter linter(slipway::lint::Settings{});
      for (const auto& f : corpus) (void)linter.lint("bench.sql", f);
    }));
    lint_render.push_back(seconds([&] {
      slipway::lint::Linter linter(slipway::lint::Settings{});
      std::vector<slipway::lint::FileReport> reports;
      for (const auto& f : corpus) reports.push_back(linter.lint("bench.sql", f));
      (void)slipway::lint::render(reports, slipway::lint::RenderOptions{});
    }));
  }
  const double pj = median(parse_json), pp = median(parse_protobuf), l = median(lint), lr = median(lint_render);
  std::printf("corpus: %zu files, %zu statements, %.1f kB; median of %d rounds\n", corpus.size(), statements,
              static_cast<double>(bytes) / 1e3, rounds);
  std::printf("%-34s %8.1f ms  %9.0f statements/s\n", "libpg_query pg_query_parse (JSON)", pj * 1e3,
              static_cast<double>(statements) / pj);
  std::printf("%-34s %8.1f ms  %9.0f statements/s\n", "libpg_query pg_query_parse_protobuf", pp * 1e3,
              static_cast<double>(statements) / pp);
  std::printf("%-34s %8.1f ms  %9.0f statements/s\n", "slipway lint (all rules)", l * 1e3,
              static_cast<double>(statements) / l);
  std::printf("%-34s %8.1f ms  %9.0f statements/s\n", "slipway lint + text report", lr * 1e3,
              static_cast<double>(statements) / lr);
  std::printf("ratio lint / parse (JSON):      %.2fx\n", l / pj);
  std::printf("ratio lint / parse (protobuf):  %.2fx   (goal <= 1.30x)\n", l / pp);
  return 0;
}
