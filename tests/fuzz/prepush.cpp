// Fuzzes the pre-push hook's stdin parser (remote/remote.hpp: parse_pre_push)
// and the selection of backup tags from what it returns.
#include "fuzz_util.hpp"
#include "remote/remote.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = gp::fuzz::as_string(data, size);
  std::vector<gp::PushUpdate> updates;
  try {
    updates = gp::parse_pre_push(input);
  } catch (const gp::Error&) {
    return 0;
  }
  for (auto& u : updates) {
    GP_FUZZ_CHECK(!u.local_ref.empty() && !u.remote_ref.empty(), "an update with an empty ref");
    (void)u.deletion();
  }
  auto tags = gp::pushed_backup_tags(updates);
  GP_FUZZ_CHECK(tags.size() <= updates.size(), "more tags than updates");
  for (auto& [tag, oid] : tags) GP_FUZZ_CHECK(tag.rfind(gp::kBackupTagPrefix, 0) == 0, "not a backup tag: " + tag);
  return 0;
}
