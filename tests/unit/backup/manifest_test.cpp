#include "backup/manifest.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace gp {
namespace {

Manifest sample() {
  Manifest m;
  m.site = "example";
  m.env = "live";
  m.elements = {Element::database, Element::files};
  m.created = *parse_iso8601("2026-11-25T12:00:00.123456Z");
  m.expires = *parse_iso8601("2027-11-25T12:00:00.123456Z");
  m.initiator = "safety";
  m.deploy_tag = "pantheon_live_3";
  m.commit = std::string(40, 'a');
  m.dirty = true;
  m.version = "0.1.0";
  m.archives.push_back({Element::database, "example_live_2026-11-25T12-00-00_UTC_database.sql.gz", 123, std::string(64, 'b'), "gzip", 7});
  m.archives.push_back({Element::files, "example_live_2026-11-25T12-00-00_UTC_files.tar.gz", 1ULL << 40, std::string(64, 'c'), "gzip", 99});
  return m;
}

TEST(Manifest, RoundTrips) {
  auto m = sample();
  auto text = render_manifest(m);
  EXPECT_EQ(text.rfind("git-pantheon backup of live (site example), 2 archives\n\n", 0), 0u) << text;
  auto back = parse_manifest(text, "t");
  EXPECT_EQ(back.site, "example");
  EXPECT_EQ(back.env, "live");
  EXPECT_EQ(back.elements, m.elements);
  EXPECT_EQ(back.created, m.created);
  EXPECT_EQ(back.expires, m.expires);
  EXPECT_EQ(back.initiator, "safety");
  EXPECT_EQ(back.deploy_tag, "pantheon_live_3");
  EXPECT_EQ(back.commit, m.commit);
  EXPECT_TRUE(back.dirty);
  ASSERT_EQ(back.archives.size(), 2u);
  EXPECT_EQ(back.archives[1].size, 1ULL << 40);
  EXPECT_EQ(back.archives[1].entries, 99u);
  EXPECT_EQ(back.archive(Element::database)->sha256, std::string(64, 'b'));
  EXPECT_EQ(back.archive(Element::code), nullptr);
  EXPECT_EQ(back.total_size(), 123 + (1ULL << 40));
}

TEST(Manifest, RefusesMalformedManifests) {
  auto good = render_manifest(sample());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::string> bad = {
      "no body",
      "summary\n\nnot toml [[[",
      with("format = 1", "format = 2"),
      with(std::string(40, 'a'), "zz"),
      with(std::string(64, 'b'), "short"),
      with("example_live_2026-11-25T12-00-00_UTC_database.sql.gz", "../../etc/passwd"),
      with("example_live_2026-11-25T12-00-00_UTC_database.sql.gz", "/abs"),
      with("created = '2026", "created = 'yesterday"),
      with("element = 'files'", "element = 'videos'"),
      with("size = 123", "size = 3481e23"),  // found by fuzzing: converted out of range (undefined behaviour)
      with("size = 123", "size = 123.0"),
      with("element = 'files'", "element = 'database'"),
  };
  for (auto& text : bad) {
    try {
      parse_manifest(text, "pantheon/backup/live/x");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::integrity);
      EXPECT_NE(std::string(e.what()).find("'pantheon/backup/live/x'"), std::string::npos) << e.what();
    }
  }
}

TEST(Manifest, ElementsAndNames) {
  EXPECT_EQ(parse_element("db"), Element::database);
  EXPECT_EQ(parse_element("database"), Element::database);
  EXPECT_FALSE(parse_element("Database"));
  EXPECT_EQ(parse_elements("all").size(), 3u);
  EXPECT_THROW(parse_elements("everything"), Error);
  EXPECT_EQ(archive_file_name("s", "dev", "2026-11-25T12-00-00", Element::database), "s_dev_2026-11-25T12-00-00_UTC_database.sql.gz");
  EXPECT_EQ(archive_file_name("s", "dev", "2026-11-25T12-00-00", Element::code), "s_dev_2026-11-25T12-00-00_UTC_code.tar.gz");
  EXPECT_EQ(archive_file_name("s", "dev", "2026-11-25T12-00-00", Element::files), "s_dev_2026-11-25T12-00-00_UTC_files.tar.gz");
  EXPECT_EQ(backup_tag_name("live", "2026-11-25T12-00-00"), "pantheon/backup/live/2026-11-25T12-00-00");
}

}  // namespace
}  // namespace gp
