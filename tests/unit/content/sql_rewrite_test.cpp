// SqlRewriter on each engine's dump text: literal escaping, tables and columns,
// hex BLOBs, COPY blocks, chunk boundaries, the size limit.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "content/rewrite.hpp"

namespace gp {
namespace {

struct StringSink final : ByteSink {
  std::string data;
  bool closed = false;
  void write(const char* d, size_t n) override { data.append(d, n); }
  void close() override { closed = true; }
};

const std::vector<UrlPair> kPairs = {{"https://www.example.com", "https://test.example.com"}};

// The dump rewritten, written in chunks of `chunk` bytes (0: at once).
std::string rewrite(const std::string& sql, DbKind d, size_t chunk = 0, RewriteStats* stats = nullptr,
                    SqlRewriteOptions opt = {}, const std::vector<UrlPair>& pairs = kPairs) {
  UrlRewriter urls(pairs);
  StringSink out;
  SqlRewriter r(out, urls, d, opt);
  if (chunk == 0) chunk = sql.size() ? sql.size() : 1;
  for (size_t i = 0; i < sql.size(); i += chunk) r.write(sql.data() + i, std::min(chunk, sql.size() - i));
  r.close();
  EXPECT_TRUE(out.closed);
  if (stats) *stats = r.stats();
  return out.data;
}

// The same result whatever the chunk size.
std::string rewrite_all_chunks(const std::string& sql, DbKind d, RewriteStats* stats = nullptr,
                               SqlRewriteOptions opt = {}) {
  std::string whole = rewrite(sql, d, 0, stats, opt);
  for (size_t c : {1, 2, 3, 5, 7, 13, 64}) EXPECT_EQ(rewrite(sql, d, c, nullptr, opt), whole) << "chunk " << c;
  return whole;
}

TEST(SqlRewriter, MysqlDump) {
  std::string sql =
      "-- MariaDB dump 10.19\n"
      "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
      "DROP TABLE IF EXISTS `wp_options`;\n"
      "CREATE TABLE `wp_options` (\n"
      "  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
      "  `option_name` varchar(191) NOT NULL DEFAULT '' COMMENT 'it\\'s, (really)',\n"
      "  `option_value` longtext NOT NULL,\n"
      "  PRIMARY KEY (`option_id`)\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
      "LOCK TABLES `wp_options` WRITE;\n"
      "INSERT INTO `wp_options` VALUES "
      "(1,'siteurl','https://www.example.com'),(2,'w','a:1:{s:3:\\\"url\\\";s:28:\\\"https://www.example.com/"
      "it\\'s\\\";}'),"
      "(3,'n','line\\nhttps://"
      "www.example.com\\\\x'),(4,'b',0x68747470733A2F2F7777772E6578616D706C652E636F6D),(5,'z','www.example.com.evil');"
      "\n"
      "UNLOCK TABLES;\n"
      "-- Dump completed on 2024-01-01\n";
  RewriteStats st;
  std::string out = rewrite_all_chunks(sql, DbKind::mysql, &st);
  EXPECT_NE(out.find("(1,'siteurl','https://test.example.com')"), std::string::npos) << out;
  EXPECT_NE(out.find("(2,'w','a:1:{s:3:\\\"url\\\";s:29:\\\"https://test.example.com/it\\'s\\\";}')"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("(3,'n','line\\nhttps://test.example.com\\\\x')"), std::string::npos) << out;
  EXPECT_NE(out.find("(4,'b',0x68747470733A2F2F746573742E6578616D706C652E636F6D)"), std::string::npos) << out;
  EXPECT_NE(out.find("(5,'z','www.example.com.evil')"), std::string::npos) << out;
  EXPECT_NE(out.find("COMMENT 'it\\'s, (really)'"), std::string::npos);  // DDL untouched
  EXPECT_EQ(st.tables["wp_options"].urls, 4u);
  EXPECT_EQ(st.tables["wp_options"].values, 4u);
  EXPECT_EQ(st.urls(), 4u);
}

TEST(SqlRewriter, GuidOfPostsIsLeftAloneUnlessAsked) {
  std::string sql =
      "CREATE TABLE `wp_2_posts` (\n  `ID` bigint NOT NULL,\n  `post_content` longtext,\n  `guid` varchar(255) NOT "
      "NULL DEFAULT '',\n"
      "  KEY `guid` (`guid`)\n);\n"
      "INSERT INTO `wp_2_posts` VALUES (1,'<a "
      "href=\\\"https://www.example.com/a\\\">','https://www.example.com/?p=1');\n"
      "INSERT INTO `wp_2_posts` (`guid`, `ID`) VALUES ('https://www.example.com/?p=2', 2);\n";
  RewriteStats st;
  std::string out = rewrite_all_chunks(sql, DbKind::mysql, &st);
  EXPECT_NE(out.find("(1,'<a href=\\\"https://test.example.com/a\\\">','https://www.example.com/?p=1')"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("('https://www.example.com/?p=2', 2)"), std::string::npos) << out;
  EXPECT_EQ(st.tables["wp_2_posts"].urls, 1u);
  SqlRewriteOptions all;
  all.rewrite_guid = true;
  out = rewrite(sql, DbKind::mysql, 0, &st, all);
  EXPECT_EQ(out.find("www.example.com"), std::string::npos) << out;
  EXPECT_EQ(st.tables["wp_2_posts"].urls, 3u);
}

TEST(SqlRewriter, MysqlTriggersAndDelimiters) {
  std::string sql =
      "DELIMITER ;;\n"
      "/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n"
      "INSERT INTO logt VALUES ('https://www.example.com');\nEND */;;\n"
      "DELIMITER ;\n"
      "INSERT INTO `x` VALUES ('https://www.example.com');\n";
  std::string out = rewrite_all_chunks(sql, DbKind::mysql);
  EXPECT_NE(out.find("INSERT INTO logt VALUES ('https://www.example.com');\nEND"), std::string::npos) << out;
  EXPECT_NE(out.find("INSERT INTO `x` VALUES ('https://test.example.com');"), std::string::npos) << out;
}

TEST(SqlRewriter, PostgresCopyAndInserts) {
  std::string sql =
      "SET standard_conforming_strings = on;\n"
      "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $_$ SELECT 'https://www.example.com; '' $_$;\n"
      "CREATE TABLE public.wp_posts (\n    id integer NOT NULL,\n    guid text,\n    body text,\n    data bytea\n);\n"
      "COPY public.wp_posts (id, guid, body, data) FROM stdin;\n"
      "1\thttps://www.example.com/?p=1\ta\\tb https://www.example.com\\\\ "
      "s:15:\"www.example.com\";\t\\\\x7777772e6578616d706c652e636f6d\n"
      "2\t\\N\t\\N\t\\N\n"
      "\\.\n"
      "INSERT INTO public.wp_options (option_id, option_value) VALUES (1, 'it''s https://www.example.com'), (2, "
      "E'a\\'b\\\\ https://www.example.com');\n"
      "SELECT pg_catalog.setval('public.s', 1, true);\n";
  RewriteStats st;
  std::string out = rewrite_all_chunks(sql, DbKind::postgres, &st);
  EXPECT_NE(out.find("$_$ SELECT 'https://www.example.com; '' $_$"), std::string::npos) << out;
  EXPECT_NE(out.find("1\thttps://www.example.com/?p=1\ta\\tb https://test.example.com\\\\ s:16:\"test.example.com\";\t"
                     "\\\\x746573742e6578616d706c652e636f6d\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("(1, 'it''s https://test.example.com'), (2, E'a''b\\\\ https://test.example.com')"),
            std::string::npos)
      << out;
  EXPECT_EQ(st.tables["wp_posts"].urls, 3u);
  EXPECT_EQ(st.tables["wp_options"].urls, 2u);
}

TEST(SqlRewriter, SqliteDump) {
  std::string sql =
      "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
      "CREATE TABLE wp_posts (ID INTEGER PRIMARY KEY, \"guid\" TEXT DEFAULT 'a,b', [post_content] TEXT, CHECK (ID > "
      "0));\n"
      "INSERT INTO \"wp_posts\" "
      "VALUES(1,'https://www.example.com/?p=1',('it''s'||char(13)||'https://www.example.com'));\n"
      "INSERT INTO \"wp_posts\" VALUES(2,'x',CAST(X'7777772E6578616D706C652E636F6D00' AS TEXT));\n"
      "COMMIT;\n";
  RewriteStats st;
  std::string out = rewrite_all_chunks(sql, DbKind::sqlite, &st);
  EXPECT_NE(out.find("VALUES(1,'https://www.example.com/?p=1',('it''s'||char(13)||'https://test.example.com'));"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("CAST(X'746573742E6578616D706C652E636F6D00' AS TEXT)"), std::string::npos) << out;
  EXPECT_EQ(st.tables["wp_posts"].urls, 2u);
}

TEST(SqlRewriter, SerializedLengthsCountUnescapedBytesOnEveryEngine) {
  // s:5:"a'b\c" holds 5 bytes whatever the escaping.
  const std::string value = "a:1:{i:0;s:28:\"a'b\\\"https://www.example.com\";}";  // a ' b \ " + URL = 28
  const std::string want = "a:1:{i:0;s:29:\"a'b\\\"https://test.example.com\";}";
  auto mysql_q = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '\'' || c == '\\' || c == '"') o += '\\';
      o += c;
    }
    return "'" + o + "'";
  };
  auto doubled = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '\'') o += '\'';
      o += c;
    }
    return "'" + o + "'";
  };
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (" + mysql_q(value) + ");", DbKind::mysql),
            "INSERT INTO t VALUES (" + mysql_q(want) + ");");
  EXPECT_EQ(rewrite("INSERT INTO t VALUES(" + doubled(value) + ");", DbKind::sqlite),
            "INSERT INTO t VALUES(" + doubled(want) + ");");
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (" + doubled(value) + ");", DbKind::postgres),
            "INSERT INTO t VALUES (" + doubled(want) + ");");
  auto copy = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '\\') o += '\\';
      o += c;
    }
    return o;
  };
  EXPECT_EQ(rewrite("COPY t (v) FROM stdin;\n" + copy(value) + "\n\\.\n", DbKind::postgres),
            "COPY t (v) FROM stdin;\n" + copy(want) + "\n\\.\n");
}

TEST(SqlRewriter, OversizedValuesPassUnchangedAndAreCounted) {
  std::string big(5000, 'x');
  std::string sql =
      "INSERT INTO t VALUES ('" + big + " https://www.example.com " + big + "'),('https://www.example.com');\n";
  SqlRewriteOptions opt;
  opt.max_value = 4096;
  RewriteStats st;
  for (size_t chunk : {0, 100, 1000}) {
    std::string out = rewrite(sql, DbKind::mysql, chunk, &st, opt);
    EXPECT_EQ(
        out, "INSERT INTO t VALUES ('" + big + " https://www.example.com " + big + "'),('https://test.example.com');\n")
        << chunk;
    EXPECT_EQ(st.tables["t"].oversized, 1u);
    EXPECT_EQ(st.tables["t"].urls, 1u);
  }
}

TEST(SqlRewriter, UnparsableSerializedValuesAreCounted) {
  RewriteStats st;
  std::string sql = "INSERT INTO wp_options VALUES ('s:99:\"https://www.example.com\";');\n";
  EXPECT_EQ(rewrite(sql, DbKind::sqlite, 0, &st), sql);
  EXPECT_EQ(st.tables["wp_options"].unparsable, 1u);
  EXPECT_EQ(st.urls(), 0u);
}

TEST(SqlRewriter, NothingToRewriteIsByteForByte) {
  std::string sql = "INSERT INTO t VALUES ('a','b');\nCOPY x FROM stdin;\nweird \\.\n";
  EXPECT_EQ(rewrite(sql, DbKind::postgres, 3), sql);
  UrlRewriter none(std::vector<UrlPair>{});
  StringSink out;
  SqlRewriter r(out, none, DbKind::mysql);
  r.write(sql.data(), sql.size());
  r.close();
  EXPECT_EQ(out.data, sql);
}

TEST(SqlRewriter, SourceAdapterReadsTheRewrittenDump) {
  struct StringSource final : ByteSource {
    std::string s;
    size_t at = 0;
    size_t read(char* d, size_t n) override {
      n = std::min<size_t>({n, s.size() - at, 7});
      std::memcpy(d, s.data() + at, n);
      at += n;
      return n;
    }
  } src;
  src.s = "INSERT INTO t VALUES ('https://www.example.com/x');\n";
  UrlRewriter urls(kPairs);
  SqlRewriteSource in(src, urls, DbKind::mysql);
  std::string got;
  char buf[5];
  for (size_t n; (n = in.read(buf, sizeof buf)) > 0;) got.append(buf, n);
  EXPECT_EQ(got, "INSERT INTO t VALUES ('https://test.example.com/x');\n");
  EXPECT_EQ(in.stats().urls(), 1u);
}

TEST(SqlRewriter, MysqlModesAndForms) {
  // NO_BACKSLASH_ESCAPES: a backslash is a character, quotes are doubled.
  std::string sql =
      "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_BACKSLASH_ESCAPES' */;\n"
      "INSERT INTO `t` VALUES ('a\\b''s https://www.example.com');\n"
      "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
      "INSERT INTO `t` VALUES\n(_binary 'x\\'y "
      "https://www.example.com',X'7777772E6578616D706C652E636F6D',''),\n(\"https://www.example.com\");\n";
  std::string out = rewrite_all_chunks(sql, DbKind::mysql);
  EXPECT_NE(out.find("VALUES ('a\\b''s https://test.example.com');"), std::string::npos) << out;
  EXPECT_NE(
      out.find("(_binary 'x\\'y "
               "https://test.example.com',X'746573742E6578616D706C652E636F6D',''),\n(\"https://test.example.com\");"),
      std::string::npos)
      << out;
}

TEST(SqlRewriter, PostgresModesAndForms) {
  std::string sql =
      "\\restrict abcdef\n"
      "SET standard_conforming_strings = off;\n"
      "INSERT INTO public.t VALUES (1, 'it\\'s https://www.example.com');\n"
      "SET standard_conforming_strings = on;\n"
      "INSERT INTO public.t (id, v) OVERRIDING SYSTEM VALUE VALUES (2, '\\x7777772e6578616d706c652e636f6d'), (3, "
      "E'\\\\x7777772e6578616d706c652e636f6d');\n"
      "\\unrestrict abcdef\n";
  std::string out = rewrite_all_chunks(sql, DbKind::postgres);
  EXPECT_NE(out.find("VALUES (1, 'it''s https://test.example.com');"), std::string::npos) << out;
  EXPECT_NE(out.find("(2, '\\x746573742e6578616d706c652e636f6d'), (3, E'\\\\x746573742e6578616d706c652e636f6d');"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\\restrict abcdef\n"), std::string::npos);
}

TEST(SqlRewriter, ColumnsFromTrickyCreateTable) {
  std::string sql =
      "CREATE TABLE `wp_posts` (\n"
      "  `ID` bigint NOT NULL COMMENT 'a, (b', -- a comment, with (\n"
      "  `post_content` longtext DEFAULT 'x,y' /* c, d */,\n"
      "  `guid` varchar(255) NOT NULL DEFAULT '',\n"
      "  CONSTRAINT `c` CHECK (`ID` > 0),\n"
      "  PRIMARY KEY (`ID`)\n"
      ");\n"
      "INSERT INTO /* why */ `wp_posts` VALUES (1,'https://www.example.com/a','https://www.example.com/?p=1');\n";
  RewriteStats st;
  std::string out = rewrite_all_chunks(sql, DbKind::mysql, &st);
  EXPECT_NE(out.find("(1,'https://test.example.com/a','https://www.example.com/?p=1')"), std::string::npos) << out;
}

TEST(SqlRewriter, CutShortAndUnchangedValuesPassByteForByte) {
  std::string sql = "INSERT INTO t VALUES ('cdn.www.example.com', 'https://www.example.com.evil'), ('https://www.exa";
  for (auto d : {DbKind::mysql, DbKind::postgres, DbKind::sqlite}) EXPECT_EQ(rewrite_all_chunks(sql, d), sql);
  std::string cut = "INSERT INTO t VALUES ('https://www.example.com";
  EXPECT_EQ(rewrite(cut, DbKind::sqlite, 4), cut);
  std::string copy = "COPY t (a) FROM stdin;\nhttps://www.example.com";
  EXPECT_EQ(rewrite(copy, DbKind::postgres, 3), copy);
}

}  // namespace
}  // namespace gp
