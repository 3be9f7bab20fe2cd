// DumpTrailer: the one place that knows how a complete dump of each engine ends.
#include <gtest/gtest.h>

#include "db/database.hpp"

namespace gp {
namespace {

bool complete(DbKind kind, const std::string& text, size_t chunk) {
  DumpTrailer t(kind);
  for (size_t at = 0; at < text.size(); at += chunk) t.add(text.data() + at, std::min(chunk, text.size() - at));
  return t.complete();
}

TEST(DumpTrailer, KnowsEachEnginesEndInChunksOfAnySize) {
  const std::string big(5000, 'x');
  const std::string my = "-- MariaDB dump\nINSERT INTO t VALUES ('" + big + "');\n-- Dump completed on 2026-11-25 12:00:00\n";
  const std::string pg = "--\n" + big + "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n";
  const std::string lite = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nINSERT INTO t VALUES('" + big + "');\nCOMMIT;\n";
  for (size_t chunk : {1u, 7u, 1000u, 1u << 20}) {
    EXPECT_TRUE(complete(DbKind::mysql, my, chunk)) << chunk;
    EXPECT_TRUE(complete(DbKind::postgres, pg, chunk)) << chunk;
    EXPECT_TRUE(complete(DbKind::sqlite, lite, chunk)) << chunk;
    EXPECT_TRUE(complete(DbKind::sqlite, "COMMIT;", chunk)) << chunk;
    EXPECT_TRUE(complete(DbKind::sqlite, lite + "\n\n  \r\n", chunk)) << chunk;
    // Cut short at a line end: still a valid stream, but not complete.
    EXPECT_FALSE(complete(DbKind::mysql, my.substr(0, my.size() - 43), chunk)) << chunk;
    EXPECT_FALSE(complete(DbKind::postgres, pg.substr(0, 3 + big.size() + 1), chunk)) << chunk;
    EXPECT_FALSE(complete(DbKind::sqlite, lite.substr(0, lite.size() - 8), chunk)) << chunk;
    // Another engine's trailer is not this one's.
    EXPECT_FALSE(complete(DbKind::mysql, pg, chunk)) << chunk;
    EXPECT_FALSE(complete(DbKind::postgres, lite, chunk)) << chunk;
    EXPECT_FALSE(complete(DbKind::sqlite, my, chunk)) << chunk;
  }
  // A statement that merely ends in COMMIT; is not the closing one.
  EXPECT_FALSE(complete(DbKind::sqlite, "INSERT INTO t VALUES('x');COMMIT;", 3));
  EXPECT_FALSE(complete(DbKind::sqlite, "", 3));
  EXPECT_EQ(DumpTrailer(DbKind::mysql).name(), "'-- Dump completed'");
}

}  // namespace
}  // namespace gp
