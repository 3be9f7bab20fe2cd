// The storage tunables read from the environment, and (in test builds) the
// fault-injecting decorator GP_STORAGE_FAULT puts in front of a file:// storage.
#include <cstdlib>

#include "fixture.hpp"
#include "storage/storage.hpp"
#include "util/sha256.hpp"

namespace gp {
namespace {

class StorageEnvTest : public test::TempDirTest {
 protected:
  void TearDown() override {
    for (const char* v : {"GP_STORAGE_FAULT", "GIT_PANTHEON_S3_PART_SIZE", "GIT_PANTHEON_S3_LOW_SPEED_TIME",
                          "GIT_PANTHEON_S3_MAX_ATTEMPTS", "GIT_PANTHEON_S3_BACKOFF_MS"})
      ::unsetenv(v);
    test::TempDirTest::TearDown();
  }
  std::unique_ptr<Storage> open() {
    StorageConfig cfg;
    cfg.url = "file://" + (root() / "remote").string();
    return open_storage(cfg);
  }
  fs::path make_file(const std::string& name, size_t size) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    fs::path p = root() / name;
    write_file_atomic(p, data);
    return p;
  }
};

TEST_F(StorageEnvTest, TunablesComeFromTheEnvironment) {
  ::setenv("GIT_PANTHEON_S3_PART_SIZE", "6291456", 1);
  ::setenv("GIT_PANTHEON_S3_LOW_SPEED_TIME", "3", 1);
  ::setenv("GIT_PANTHEON_S3_MAX_ATTEMPTS", "2", 1);
  ::setenv("GIT_PANTHEON_S3_BACKOFF_MS", "10", 1);
  StorageOptions o = storage_options_from_env({});
  EXPECT_EQ(o.part_size, 6291456u);
  EXPECT_EQ(o.low_speed_time, 3);
  EXPECT_EQ(o.max_attempts, 2u);
  EXPECT_EQ(o.backoff.count(), 10);
  EXPECT_EQ(o.multipart_threshold, StorageOptions{}.multipart_threshold);
  ::setenv("GIT_PANTHEON_S3_LOW_SPEED_TIME", "soon", 1);
  try {
    storage_options_from_env({});
    FAIL() << "accepted a malformed number";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::config);
    EXPECT_NE(std::string(e.what()).find("GIT_PANTHEON_S3_LOW_SPEED_TIME"), std::string::npos) << e.what();
  }
}

#ifdef GP_FAULT_INJECTION
TEST_F(StorageEnvTest, FlippedAndTruncatedDownloadsAreRefused) {
  fs::path src = make_file("a.bin", 100000);
  auto d = sha256_file(src);
  NullProgress np;
  open()->put("a.bin", src, d.sha256, np);
  for (const char* spec : {"flip-byte@get", "truncate"}) {
    ::setenv("GP_STORAGE_FAULT", spec, 1);
    fs::path out = root() / "out.bin";
    try {
      open()->get("a.bin", out, d.size, d.sha256, np);
      FAIL() << spec << ": a damaged download was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::integrity) << spec << ": " << e.what();
    }
    EXPECT_FALSE(fs::exists(out)) << spec;
    for (auto& e : fs::directory_iterator(root()))  // no partial or scratch file stays
      EXPECT_EQ(e.path().filename().string().find("out.bin"), std::string::npos) << spec << ": " << e.path();
  }
}

TEST_F(StorageEnvTest, DamagingPutStoresADifferentObjectAndFailEveryFails) {
  fs::path src = make_file("a.bin", 5000);
  auto d = sha256_file(src);
  NullProgress np;
  ::setenv("GP_STORAGE_FAULT", "truncate@put", 1);
  open()->put("a.bin", src, d.sha256, np);
  auto info = open()->stat("a.bin");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 2500u);  // what a caller's check after the upload must catch
  ::setenv("GP_STORAGE_FAULT", "fail-every:1", 1);
  try {
    open()->stat("a.bin");
    FAIL() << "fail-every:1 let a call through";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::remote);
  }
  ::setenv("GP_STORAGE_FAULT", "explode", 1);
  try {
    open();
    FAIL() << "accepted a malformed fault";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::config);
  }
}
#endif

}  // namespace
}  // namespace gp
