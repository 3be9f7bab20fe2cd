// Fuzzes the .pantheon.toml loader (config/config.hpp: parse_config, the string
// entry point of load_config) and the database URL parser (config/dburl.hpp),
// each with the whole input. A database URL that parses must parse again from
// its own text and never carry a password.
#include "config/config.hpp"
#include "config/dburl.hpp"
#include "fuzz_util.hpp"
#include "util/error.hpp"

namespace {

void check_url(const gp::DbUrl& u) {
  (void)u.display();
  gp::DbUrl again;
  try {
    again = gp::parse_db_url(u.text);
  } catch (const gp::Error& e) {
    gp::fuzz::violated(std::string("a parsed database URL does not parse again: ") + e.what());
  }
  GP_FUZZ_CHECK(again.kind == u.kind && again.path == u.path && again.user == u.user && again.host == u.host &&
                    again.port == u.port && again.dbname == u.dbname && again.socket == u.socket,
                "parse(text) differs for '" + u.text + "'");
  GP_FUZZ_CHECK(u.port >= 0 && u.port <= 65535, "port out of range in '" + u.text + "'");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = gp::fuzz::as_string(data, size);
  try {
    gp::Config c = gp::parse_config(text, "/nonexistent/fuzz/.pantheon.toml");
    for (auto& [name, env] : c.envs) {
      if (env.database) check_url(*env.database);
      GP_FUZZ_CHECK(!env.database || env.files, "env '" + name + "' has a database but no files directory");
      GP_FUZZ_CHECK(!env.files || !env.files->empty(), "an empty files directory parsed in env '" + name + "'");
      (void)c.files_excludes(env);
      (void)c.env(name);
    }
  } catch (const gp::Error&) {
  }
  try {
    check_url(gp::parse_db_url(text));
  } catch (const gp::Error&) {
  }
  return 0;
}
