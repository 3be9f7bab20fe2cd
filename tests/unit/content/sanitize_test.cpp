#include "content/sanitize.hpp"

#include <gtest/gtest.h>

namespace gp {
namespace {

TEST(Sanitize, DrupalStatementsPerEngineSkipMissingTables) {
  const std::vector<std::string> tables{"users_field_data", "sessions", "node"};
  auto s = sanitize_statements(Framework::drupal, DbKind::mysql, tables, {});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "UPDATE `users_field_data` SET mail = CONCAT('user+', uid, '@localhost'), pass = NULL WHERE uid > 0;");
  EXPECT_EQ(s[1], "DELETE FROM `sessions`;");
  s = sanitize_statements(Framework::drupal, DbKind::postgres, {"sessions"}, {"UPDATE x SET y = 1  \n"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "DELETE FROM \"sessions\";");
  EXPECT_EQ(s[1], "UPDATE x SET y = 1;");
  EXPECT_TRUE(sanitize_statements(Framework::other, DbKind::sqlite, tables, {}).empty());
}

TEST(Sanitize, WordPressPrefixFromTheTables) {
  EXPECT_EQ(wordpress_prefix({}), "wp_");
  EXPECT_EQ(wordpress_prefix({"shop_users", "shop_usermeta", "wp_users"}), "shop_");
  EXPECT_EQ(wordpress_prefix({"a_users", "a_usermeta", "wp_users", "wp_usermeta"}), "wp_");
  auto s = sanitize_statements(Framework::wordpress, DbKind::sqlite, {"wp_users", "wp_usermeta"}, {});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "UPDATE \"wp_users\" SET user_email = 'user+' || ID || '@localhost', user_pass = '';");
  EXPECT_EQ(s[1], "DELETE FROM \"wp_usermeta\" WHERE meta_key = 'session_tokens';");
}

}  // namespace
}  // namespace gp
