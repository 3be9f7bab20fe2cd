#include "cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "util/utf8.hpp"

namespace gp::cli {

Args::Args(std::vector<std::string> args, std::string usage) : args_(std::move(args)), usage_(std::move(usage)) {}

void Args::usage_error(const std::string& message) const { throw Error(Exit::usage, message, "usage: " + usage_); }

namespace {
// Index of "--" or args.size().
size_t end_of_options(const std::vector<std::string>& a) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] == "--") return i;
  return a.size();
}
}  // namespace

bool Args::flag(const std::string& name, char short_name) {
  bool seen = false;
  for (size_t i = 0; i < end_of_options(args_);) {
    std::string& a = args_[i];
    if (a == "--" + name) {
      seen = true;
      args_.erase(args_.begin() + static_cast<long>(i));
      continue;
    }
    if (a.rfind("--" + name + "=", 0) == 0) usage_error("option '--" + name + "' takes no value");
    if (short_name && a.size() >= 2 && a[0] == '-' && a[1] != '-') {
      auto pos = a.find(short_name, 1);
      if (pos != std::string::npos) {
        seen = true;
        a.erase(pos, 1);
        if (a == "-") {
          args_.erase(args_.begin() + static_cast<long>(i));
          continue;
        }
      }
    }
    ++i;
  }
  return seen;
}

std::optional<bool> Args::toggle(const std::string& name) {
  std::optional<bool> result;
  for (size_t i = 0; i < end_of_options(args_);) {
    if (args_[i] == "--" + name || args_[i] == "--no-" + name) {
      result = args_[i] == "--" + name;
      args_.erase(args_.begin() + static_cast<long>(i));
      continue;
    }
    ++i;
  }
  return result;
}

std::vector<std::string> Args::values(const std::string& name, char short_name) {
  std::vector<std::string> out;
  for (size_t i = 0; i < end_of_options(args_);) {
    const std::string a = args_[i];
    bool long_sep = a == "--" + name;
    bool short_sep = short_name && a == std::string("-") + short_name;
    if (long_sep || short_sep) {
      if (i + 1 >= end_of_options(args_)) usage_error("option '" + a + "' needs a value");
      out.push_back(args_[i + 1]);
      args_.erase(args_.begin() + static_cast<long>(i), args_.begin() + static_cast<long>(i) + 2);
      continue;
    }
    if (a.rfind("--" + name + "=", 0) == 0) {
      out.push_back(a.substr(name.size() + 3));
      args_.erase(args_.begin() + static_cast<long>(i));
      continue;
    }
    if (short_name && a.size() > 2 && a[0] == '-' && a[1] == short_name) {  // -nVALUE
      out.push_back(a.substr(2));
      args_.erase(args_.begin() + static_cast<long>(i));
      continue;
    }
    ++i;
  }
  return out;
}

std::optional<std::string> Args::value(const std::string& name, char short_name) {
  auto v = values(name, short_name);
  if (v.empty()) return std::nullopt;
  return v.back();
}

std::vector<std::string> Args::operands(size_t min, size_t max) {
  std::vector<std::string> out;
  bool after_dashdash = false;
  for (auto& a : args_) {
    if (!after_dashdash && a == "--") {
      after_dashdash = true;
      continue;
    }
    if (!after_dashdash && a.size() > 1 && a[0] == '-') usage_error("unknown option '" + a + "'");
    out.push_back(a);
  }
  args_.clear();
  if (out.size() < min) usage_error(min == 1 && max == 1 ? "expected one argument" : "missing argument");
  if (out.size() > max) usage_error("unexpected argument '" + out[max] + "'");
  return out;
}

std::optional<std::string> Args::subcommand() {
  if (args_.empty() || args_[0].empty() || args_[0][0] == '-') return std::nullopt;
  std::string s = args_[0];
  args_.erase(args_.begin());
  return s;
}

namespace {

// One line on stderr, rewritten in place, at most a few times a second.
class TerminalProgress final : public Progress {
 public:
  TerminalProgress(bool show, bool quiet) : show_(show), quiet_(quiet) {}
  ~TerminalProgress() override { finish(); }
  void start(const std::string& label, uint64_t total) override {
    finish();
    label_ = label;
    total_ = total;
    bytes_ = items_ = 0;  // a new phase never shows the previous one's numbers
    began_ = last_ = std::chrono::steady_clock::now();
    active_ = true;
    draw(0, 0, true);
  }
  void update(uint64_t bytes, uint64_t items) override {
    bytes_ = bytes;
    items_ = items;
    draw(bytes, items, false);
  }
  void finish() override {
    if (!active_) return;
    draw(bytes_, items_, true);
    if (show_) std::fputc('\n', stderr);
    active_ = false;
  }
  void warn(const std::string& message) override {
    clear_line();
    std::fprintf(stderr, "git-pantheon: warning: %s\n", printable(message).c_str());
  }
  void info(const std::string& message) override {
    if (quiet_) return;
    clear_line();
    std::fprintf(stderr, "%s\n", printable(message).c_str());
  }
  void step(const std::string& message) override {
    if (show_) info(message);
  }

 private:
  void clear_line() {
    if (show_ && active_) std::fputs("\r\033[K", stderr);
  }
  void draw(uint64_t bytes, uint64_t items, bool force) {
    if (!show_) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - began_).count();
    std::string line = printable(label_) + ": " + human_size(bytes);
    if (total_) line += " / " + human_size(total_) + " (" + std::to_string(bytes * 100 / total_) + "%)";
    if (items) line += ", " + std::to_string(items) + " files";
    if (secs > 0.5) line += ", " + human_size(static_cast<uint64_t>(static_cast<double>(bytes) / secs)) + "/s";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  }
  bool show_, quiet_;
  bool active_ = false;
  std::string label_;
  uint64_t total_ = 0, bytes_ = 0, items_ = 0;
  std::chrono::steady_clock::time_point began_, last_;
};

}  // namespace

Context::Context(Globals g) : g_(std::move(g)) {}
Context::~Context() = default;

Repo& Context::repo() {
  if (!repo_) repo_.emplace(Repo::discover(g_.cwd.empty() ? fs::current_path() : g_.cwd));
  return *repo_;
}

fs::path Context::root() {
  auto w = repo().workdir();
  if (w.empty()) fail(Exit::not_repo, "this operation must be run in a work tree, not a bare repository");
  return w;
}

const Config& Context::config() {
  if (!config_) config_.emplace(load_config(root()));
  return *config_;
}

Progress& Context::progress() {
  if (!progress_) {
    bool show = g_.progress.value_or(::isatty(2) == 1) && !g_.quiet;
    progress_ = std::make_unique<TerminalProgress>(show, g_.quiet);
  }
  return *progress_;
}

Format Context::format(Args& args) {
  if (auto f = args.value("format")) {
    if (*f == "json") return Format::json;
    if (*f == "text") return Format::text;
    args.usage_error("--format must be 'text' or 'json', not '" + *f + "'");
  }
  return g_.format.value_or(Format::text);
}

std::ostream& Context::out() { return std::cout; }

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], r[c].size());
    }
  for (auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line.append(width[c] - r[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

bool interactive() { return ::isatty(0) == 1 && ::isatty(2) == 1; }

void require_confirmation(const std::string& title, const std::vector<std::string>& plan, const std::string& env,
                          bool yes, const std::optional<std::string>& confirm_env) {
  if (!yes) {
    if (!interactive()) throw Error(Exit::usage, "this replaces data and needs confirmation: run it on a terminal or add --yes");
    std::fprintf(stderr, "%s\n", title.c_str());
    for (auto& line : plan) std::fprintf(stderr, "  - %s\n", line.c_str());
    if (!confirm("Continue?")) throw Error(Exit::usage, "cancelled");
  }
  // Pantheon advises against replacing live's content: allowed, but deliberately.
  if (env == "live" && confirm_env != std::optional<std::string>("live")) {
    if (!interactive()) throw Error(Exit::usage, "replacing live's content needs --confirm-env live as well as --yes");
    std::fprintf(stderr, "This replaces the LIVE site's content. Type 'live' to confirm: ");
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer) || answer != "live") throw Error(Exit::usage, "cancelled");
  }
}

bool confirm(const std::string& question) {
  if (!interactive()) return false;
  std::fprintf(stderr, "%s [y/N] ", question.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

}  // namespace gp::cli
