// The command table against the man pages: every command, subcommand and option
// the program parses is documented in its page, and every page belongs to a row.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "commands.hpp"

namespace gp::cli {
namespace {

namespace fs = std::filesystem;

// A page's text with roff's escapes for '-' and fonts taken out, so that
// ".RB [ \-\-keep\-for" reads "--keep-for".
std::string page_text(const std::string& page) {
  std::ifstream in(fs::path(GP_MAN_DIR) / (page + ".1"));
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = std::regex_replace(ss.str(), std::regex(R"(\\f[BIRP])"), "");
  s = std::regex_replace(s, std::regex(R"(\\-)"), "-");
  return s;
}

// True when `word` appears in `text` not as part of a longer option or word.
bool mentions(const std::string& text, const std::string& word) {
  for (size_t pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
    auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
    bool before = pos == 0 || !part(text[pos - 1]);
    size_t end = pos + word.size();
    bool after = end >= text.size() || !part(text[end]);
    if ((before || word[0] == '-') && after) return true;
  }
  return false;
}

void check_options(const std::string& page, const std::string& text, std::span<const Option> table,
                   const std::string& what) {
  for (auto* o : expand(table)) {
    if (o->hidden) continue;
    if (o->name) {
      EXPECT_TRUE(mentions(text, std::string("--") + o->name))
          << page << ".1 does not document --" << o->name << " of " << what;
    }
    if (o->short_name) {
      EXPECT_TRUE(mentions(text, std::string("-") + o->short_name))
          << page << ".1 does not document -" << o->short_name << " of " << what;
    }
  }
}

void walk(std::vector<const Command*>& path, std::span<const Command* const> list, std::map<std::string, int>& pages) {
  for (auto* c : list) {
    path.push_back(c);
    std::string page = man_page(path), what = command_words(path);
    std::string text = page_text(page);
    ++pages[page];
    ASSERT_FALSE(text.empty()) << "no man page " << page << ".1 for '" << what << "'";
    EXPECT_TRUE(mentions(text, c->name)) << page << ".1 does not name '" << what << "'";
    if (c->alias) {
      EXPECT_TRUE(mentions(text, c->alias)) << page << ".1 does not name the alias " << c->alias;
    }
    check_options(page, text, c->options, what);
    walk(path, c->subcommands, pages);
    path.pop_back();
  }
}

TEST(ManPages, DocumentEveryCommandAndOption) {
  std::map<std::string, int> pages;
  std::vector<const Command*> path;
  walk(path, commands(), pages);
  std::string main = page_text("git-pantheon");
  ASSERT_FALSE(main.empty());
  for (auto* c : commands()) EXPECT_TRUE(mentions(main, c->name)) << "git-pantheon.1 does not list " << c->name;
  check_options("git-pantheon", main, global_options(), "git pantheon");
}

TEST(ManPages, EveryPageBelongsToTheTable) {
  std::set<std::string> pages;
  std::vector<const Command*> path;
  std::function<void(std::span<const Command* const>)> walk_pages = [&](std::span<const Command* const> list) {
    for (auto* c : list) {
      path.push_back(c);
      pages.insert(man_page(path));
      walk_pages(c->subcommands);
      path.pop_back();
    }
  };
  walk_pages(commands());
  for (auto& entry : fs::directory_iterator(GP_MAN_DIR)) {
    std::string name = entry.path().stem().string();
    if (name == "git-pantheon" || entry.path().extension() != ".1") continue;
    EXPECT_TRUE(pages.count(name)) << "man/" << name << ".1 documents no command of the table";
  }
}

TEST(CommandTable, UsageComesFromTheTable) {
  std::vector<const Command*> path{find_command(commands(), "restore")};
  ASSERT_TRUE(path[0]);
  std::string usage = usage_text(path);
  EXPECT_NE(usage.find("--confirm-env <env>"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--no-safety-backup"), std::string::npos) << usage;
  EXPECT_NE(help_text(path).find("-y, --yes"), std::string::npos);
}

TEST(CommandTable, ArgsRefusesWhatTheTableLacks) {
  constexpr Option table[] = {{"env", 0, "<env>", "e"}, {"force", 'f', nullptr, "f"}, use(kFormatOptions)};
  Args a({"--env=live", "-f", "op", "--format", "json", "--", "--env"}, expand(table), "u");
  EXPECT_EQ(a.value("env"), "live");
  EXPECT_TRUE(a.flag("force"));
  EXPECT_EQ(a.operands(0, 2), (std::vector<std::string>{"op", "--env"}));
  EXPECT_THROW(a.flag("yes"), InternalError);
  try {
    Args({"--forse"}, expand(table), "u");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::usage);
    EXPECT_STREQ(e.what(), "unknown option '--forse'");
    EXPECT_NE(e.hint().find("the most similar option is '--force'"), std::string::npos) << e.hint();
  }
  EXPECT_THROW(Args({"--format=xml"}, expand(table), "u"), Error);
  EXPECT_THROW(Args({"--force=1"}, expand(table), "u"), Error);
  EXPECT_THROW(Args({"--env"}, expand(table), "u"), Error);
}

TEST(CommandTable, CompletionsNameEveryCommand) {
  std::string bash = completion_script("bash"), zsh = completion_script("zsh");
  EXPECT_NE(bash.find("_git_pantheon ()"), std::string::npos);
  EXPECT_EQ(zsh.rfind("#compdef git-pantheon\n", 0), 0u);
  for (auto* c : commands()) {
    EXPECT_NE(bash.find(c->name), std::string::npos) << c->name;
    EXPECT_NE(zsh.find(std::string("'") + c->name + ":"), std::string::npos) << c->name;
  }
  EXPECT_THROW(completion_script("fish"), Error);
}

}  // namespace
}  // namespace gp::cli
