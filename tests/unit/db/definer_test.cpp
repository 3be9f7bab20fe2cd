#include "db/definer.hpp"

#include <gtest/gtest.h>

namespace gp::db {
namespace {

std::string filter_in_chunks(const std::string& in, size_t chunk) {
  DefinerStripper f;
  std::string out;
  for (size_t i = 0; i < in.size(); i += chunk) f.feed(in.data() + i, std::min(chunk, in.size() - i), out);
  f.finish(out);
  return out;
}

TEST(DefinerStripper, RemovesDefinersFromDdl) {
  EXPECT_EQ(DefinerStripper::strip_line("/*!50017 DEFINER=`wp_live`@`%`*/ /*!50003 TRIGGER t AFTER INSERT ON x"),
            "/*!50017 */ /*!50003 TRIGGER t AFTER INSERT ON x");
  EXPECT_EQ(DefinerStripper::strip_line("/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */"),
            "/*!50013 SQL SECURITY DEFINER */");
  EXPECT_EQ(DefinerStripper::strip_line("CREATE DEFINER=`a``b`@`h` PROCEDURE p()"), "CREATE PROCEDURE p()");
  EXPECT_EQ(DefinerStripper::strip_line("CREATE DEFINER=CURRENT_USER() FUNCTION f()"), "CREATE FUNCTION f()");
  EXPECT_EQ(DefinerStripper::strip_line("CREATE DEFINER='u'@'h' EVENT e"), "CREATE EVENT e");
  EXPECT_EQ(DefinerStripper::strip_line("-- DEFINER=nonsense stays"), "-- DEFINER=nonsense stays");
}

TEST(DefinerStripper, NeverTouchesDataAndWorksAcrossChunks) {
  std::string dump =
      "-- MariaDB dump\n"
      "INSERT INTO `wp_posts` VALUES (1,'how to write DEFINER=`root`@`localhost` in SQL');\n"
      "/*!50003 CREATE*/ /*!50017 DEFINER=`wp`@`%`*/ /*!50003 TRIGGER wp_ai AFTER INSERT ON wp_posts FOR EACH ROW "
      "INSERT INTO wp_log VALUES (1) */;;\n"
      "INSERT INTO `t` VALUES ('" + std::string(3 << 20, 'x') + "DEFINER=`a`@`b`');\n"
      "-- Dump completed";
  std::string want = dump;
  want.replace(want.find("DEFINER=`wp`@`%`"), std::string("DEFINER=`wp`@`%`").size(), "");
  for (size_t chunk : {1, 7, 4096, 1 << 20, 8 << 20}) EXPECT_EQ(filter_in_chunks(dump, chunk), want) << chunk;
}

}  // namespace
}  // namespace gp::db
