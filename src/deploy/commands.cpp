#include "deploy/commands.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>

namespace slipway::deploy {

namespace json = boost::json;

std::string CommandResult::why() const {
  for (const char* key : {"failure", "message", "error"}) {
    if (const auto* o = doc.if_object())
      if (const auto* v = o->if_contains(key); v && v->is_string() && !v->as_string().empty())
        return std::string(v->as_string());
  }
  const std::size_t pos = err.find("slipway: ");
  if (pos != std::string::npos) {
    const std::size_t end = err.find('\n', pos);
    return err.substr(pos + 9, end == std::string::npos ? std::string::npos : end - pos - 9);
  }
  std::string line = last_line(err);
  if (line.empty()) line = last_line(out);
  return line.empty() ? status.describe() : line;
}

CommandResult CommandResult::of(int exit_code, const std::string& json, std::string err) {
  CommandResult r;
  r.status.code = exit_code;
  r.out = json;
  r.err = std::move(err);
  boost::system::error_code ec;
  r.doc = json::parse(r.out, ec);
  if (ec) r.doc = nullptr;
  return r;
}

namespace {

class SlipwayCommands : public Commands {
 public:
  SlipwayCommands(std::string binary, std::filesystem::path config, std::string env_file)
      : binary_(std::move(binary)), config_(std::move(config)), env_file_(std::move(env_file)) {}

  CommandResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                    std::chrono::steady_clock::time_point deadline) override {
    ProcessSpec spec;
    spec.argv.push_back(binary_);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    if (!config_.empty()) {
      spec.argv.push_back("--config");
      spec.argv.push_back(config_.string());
    }
    if (!env_file_.empty()) {
      spec.argv.push_back("--env-file");
      spec.argv.push_back(env_file_);
    }
    spec.env = env;
    spec.env.insert_or_assign("NO_COLOR", std::string(1, '1'));  // (not = "1": GCC 12's false -Wrestrict)
    if (deadline != std::chrono::steady_clock::time_point::max()) spec.deadline = deadline;
    auto r = run_process(spec);
    if (!r) return CommandResult::of(127, {}, r.error().message);
    std::string err =
        r->timed_out ? fmt::format("{}\nslipway: stopped at the phase's deadline\n", r->err) : std::move(r->err);
    CommandResult result = CommandResult::of(0, r->out, std::move(err));
    result.status = r->status;
    return result;
  }

 private:
  std::string binary_;
  std::filesystem::path config_;
  std::string env_file_;
};

}  // namespace

std::unique_ptr<Commands> slipway_commands(std::string binary, std::filesystem::path config, std::string env_file) {
  return std::make_unique<SlipwayCommands>(std::move(binary), std::move(config), std::move(env_file));
}

}  // namespace slipway::deploy
