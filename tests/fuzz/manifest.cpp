// Fuzzes the backup manifest parser (backup/manifest.hpp): a tag message read
// back from git. Whatever parses must render and parse again to the same text.
#include "backup/manifest.hpp"

#include "fuzz_util.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string message = gp::fuzz::as_string(data, size);
  gp::Manifest m;
  try {
    m = gp::parse_manifest(message, "pantheon/backup/live/fuzz");
  } catch (const gp::Error&) {
    return 0;  // refused as malformed: the expected answer to garbage
  }
  (void)m.total_size();
  for (auto e : m.elements) (void)m.archive(e);
  const std::string once = gp::render_manifest(m);
  gp::Manifest again;
  try {
    again = gp::parse_manifest(once, "pantheon/backup/live/fuzz");
  } catch (const gp::Error& e) {
    gp::fuzz::violated(std::string("a rendered manifest does not parse: ") + e.what() + "\n" + once);
  }
  GP_FUZZ_CHECK(gp::render_manifest(again) == once, "render(parse(render(m))) != render(m)\n" + once);
  return 0;
}
