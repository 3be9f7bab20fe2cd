#pragma once
// Sanitising a non-live copy: the SQL that makes a database that landed in an
// environment from another one safe to work with (as drush sql:sanitize and
// Pantheon's clone to dev do). Only the statements; lib/db's Database::execute
// runs them through the engine's own client.
//  - Drupal 8+: users_field_data.mail becomes user+<uid>@localhost and pass NULL
//    (no password matches: the account cannot log in) for every uid > 0; the
//    sessions table is emptied.
//  - WordPress: <prefix>users.user_email becomes user+<ID>@localhost and user_pass
//    '' (no password matches); the session_tokens rows of <prefix>usermeta are
//    deleted. The prefix is found from the tables (a <p>users beside a <p>usermeta;
//    wp_ preferred), default wp_.
// A table that does not exist is skipped. The site's own `sanitize_sql` statements
// come last, as they are.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace gp {

// The WordPress table prefix the tables name ("wp_" when wp_users and wp_usermeta
// exist or nothing matches).
std::string wordpress_prefix(const std::vector<std::string>& tables);

// The statements (each ending in ';') for `framework` on `kind`, given the
// database's tables, followed by `extra`.
std::vector<std::string> sanitize_statements(Framework framework, DbKind kind, const std::vector<std::string>& tables,
                                             const std::vector<std::string>& extra);

}  // namespace gp
