#include "cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "util/utf8.hpp"

namespace gp::cli {

std::vector<const Option*> expand(std::span<const Option> table) {
  std::vector<const Option*> out;
  for (auto& o : table) {
    if (!o.group.empty()) {
      auto inner = expand(o.group);
      out.insert(out.end(), inner.begin(), inner.end());
    } else {
      out.push_back(&o);
    }
  }
  return out;
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // transposition counts as one edit ("bakcup")
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev[j - 1]);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// "a, b or c"
std::string choices_text(const std::string& choices) {
  std::vector<std::string> v;
  for (size_t pos = 0;;) {
    size_t bar = choices.find('|', pos);
    v.push_back(choices.substr(pos, bar - pos));
    if (bar == std::string::npos) break;
    pos = bar + 1;
  }
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "" : i + 1 == v.size() ? " or " : ", ") + v[i];
  return out;
}

}  // namespace

std::vector<std::string> similar_names(const std::string& word, const std::vector<std::string>& candidates) {
  size_t best = SIZE_MAX;
  std::vector<std::string> out;
  for (auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (!word.empty() && c.rfind(word, 0) == 0) d = std::min<size_t>(d, 1);  // a prefix is close
    if (d < best) {
      best = d;
      out = {c};
    } else if (d == best) {
      out.push_back(c);
    }
  }
  // Like git: only suggest when the distance is small relative to the word.
  if (best > std::max<size_t>(2, word.size() / 3)) return {};
  return out;
}

std::string similar_hint(const std::string& what, const std::vector<std::string>& similar) {
  if (similar.empty()) return {};
  if (similar.size() == 1) return "the most similar " + what + " is '" + similar[0] + "'";
  std::string hint = "the most similar " + what + "s are";
  for (auto& s : similar) hint += " '" + s + "'";
  return hint;
}

Args::Args(std::vector<std::string> args, std::vector<const Option*> options, std::string usage, bool options_first)
    : table_(std::move(options)), usage_(std::move(usage)) {
  auto by_long = [&](const std::string& name) -> const Option* {
    for (auto* o : table_)
      if (o->name && name == o->name) return o;
    return nullptr;
  };
  auto by_short = [&](char c) -> const Option* {
    for (auto* o : table_)
      if (o->short_name == c) return o;
    return nullptr;
  };
  auto unknown = [&](const std::string& typed, const std::string& word) {
    std::vector<std::string> names;
    for (auto* o : table_)
      if (o->name && !o->hidden) names.push_back(std::string("--") + o->name);
    std::string hint = similar_hint("option", similar_names(word, names));
    throw Error(Exit::usage, "unknown option '" + typed + "'", (hint.empty() ? "" : hint + "\n") + "usage: " + usage_);
  };
  auto take = [&](const Option* o, std::string v) {
    if (o->arg && !std::strchr(o->arg, '<')) {  // a list of choices: the value must be one of them
      std::string bars = std::string("|") + o->arg + "|";
      if (bars.find("|" + v + "|") == std::string::npos)
        usage_error("--" + std::string(o->name) + " must be " + choices_text(o->arg) + ", not '" + v + "'");
    }
    given_.emplace_back(o, std::move(v));
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      operands_.insert(operands_.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (options_first) {
        operands_.insert(operands_.end(), args.begin() + static_cast<long>(i), args.end());
        break;
      }
      operands_.push_back(a);
      continue;
    }
    if (a[1] == '-') {  // --name, --name=value, --name value
      size_t eq = a.find('=');
      std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const Option* o = by_long(name);
      if (!o) unknown(eq == std::string::npos ? a : a.substr(0, eq), "--" + name);
      if (!o->arg) {
        if (eq != std::string::npos) usage_error("option '--" + name + "' takes no value");
        take(o, {});
      } else if (eq != std::string::npos) {
        take(o, a.substr(eq + 1));
      } else {
        if (i + 1 >= args.size()) usage_error("option '" + a + "' needs a value");
        take(o, args[++i]);
      }
      continue;
    }
    for (size_t k = 1; k < a.size(); ++k) {  // -qf, -n5, -n 5, -fm note
      const Option* o = by_short(a[k]);
      if (!o) unknown(std::string("-") + a[k], std::string("-") + a[k]);
      if (!o->arg) {
        take(o, {});
        continue;
      }
      if (k + 1 < a.size()) {
        take(o, a.substr(k + 1));
      } else {
        if (i + 1 >= args.size()) usage_error("option '-" + std::string(1, a[k]) + "' needs a value");
        take(o, args[++i]);
      }
      break;
    }
  }
}

void Args::usage_error(const std::string& message) const { throw Error(Exit::usage, message, "usage: " + usage_); }

const Option& Args::known(const std::string& name) const {
  for (auto* o : table_)
    if ((o->name && name == o->name) || (!o->name && name.size() == 1 && o->short_name == name[0])) return *o;
  throw InternalError("option '--" + name + "' is read but not in the command's option table");
}

bool Args::flag(const std::string& name) const {
  const Option& o = known(name);
  for (auto& [g, v] : given_)
    if (g == &o) return true;
  return false;
}

std::optional<std::string> Args::last_of(std::initializer_list<const char*> names) const {
  std::vector<const Option*> wanted;
  for (auto* n : names) wanted.push_back(&known(n));
  std::optional<std::string> out;
  for (auto& [g, v] : given_)
    if (std::find(wanted.begin(), wanted.end(), g) != wanted.end()) out = g->name;
  return out;
}

std::vector<std::string> Args::values(const std::string& name) const {
  const Option& o = known(name);
  std::vector<std::string> out;
  for (auto& [g, v] : given_)
    if (g == &o) out.push_back(v);
  return out;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto v = values(name);
  if (v.empty()) return std::nullopt;
  return v.back();
}

std::vector<std::string> Args::operands(size_t min, size_t max) const {
  if (operands_.size() < min) usage_error(min == 1 && max == 1 ? "expected one argument" : "missing argument");
  if (operands_.size() > max) usage_error("unexpected argument '" + operands_[max] + "'");
  return operands_;
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

Format Context::format(const Args& args) {
  if (auto f = args.value("format")) return *f == "json" ? Format::json : Format::text;  // checked by Args
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
