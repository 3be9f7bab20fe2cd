// file:// storage: put/get/resume/stat/list/remove, checksum mismatch, modes.
#include <sys/stat.h>

#include <fstream>

#include "fixture.hpp"
#include "storage/storage.hpp"
#include "util/sha256.hpp"

namespace gp {
namespace {

class FileStorageTest : public test::TempDirTest {
 protected:
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
  static mode_t mode_of(const fs::path& p) {
    struct stat st;
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
};


TEST_F(FileStorageTest, PutGetStatListRemove) {
  auto st = open();
  fs::path src = make_file("a.bin", 3 << 20);
  auto d = sha256_file(src);
  NullProgress np;
  st->put("site/dev/a.bin", src, d.sha256, np);

  fs::path stored = root() / "remote/site/dev/a.bin";
  EXPECT_EQ(sha256_file(stored).sha256, d.sha256);  // the bytes, read back independently
  EXPECT_EQ(mode_of(stored), 0600u);
  EXPECT_EQ(mode_of(root() / "remote/site"), 0700u);
  EXPECT_EQ(mode_of(root() / "remote/site/dev"), 0700u);

  auto info = st->stat("site/dev/a.bin");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, d.size);
  if (info->sha256) {  // only where xattrs exist
    EXPECT_EQ(*info->sha256, d.sha256);
  }
  EXPECT_FALSE(st->stat("site/dev/missing"));

  st->put("site/live/b.bin", src, d.sha256, np);
  auto all = st->list("");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "site/dev/a.bin");
  EXPECT_EQ(all[1].key, "site/live/b.bin");
  EXPECT_EQ(st->list("site/dev/").size(), 1u);
  EXPECT_EQ(st->list("other").size(), 0u);

  fs::path out = root() / "dl/a.bin";
  st->get("site/dev/a.bin", out, d.size, d.sha256, np);
  EXPECT_EQ(sha256_file(out).sha256, d.sha256);
  EXPECT_EQ(mode_of(out), 0600u);
  EXPECT_FALSE(fs::exists(root() / "dl/a.bin.part"));

  st->remove("site/dev/a.bin");
  st->remove("site/dev/a.bin");  // idempotent
  EXPECT_FALSE(st->stat("site/dev/a.bin"));
  EXPECT_FALSE(fs::exists(root() / "remote/site/dev"));  // empty directories pruned
  EXPECT_EQ(st->list("").size(), 1u);
  // No temporary files left behind.
  EXPECT_TRUE(fs::is_empty(root() / "remote/.gp-tmp"));
}

TEST_F(FileStorageTest, GetResumesFromPartialFile) {
  auto st = open();
  fs::path src = make_file("a.bin", 4 << 20);
  auto d = sha256_file(src);
  NullProgress np;
  st->put("k.bin", src, d.sha256, np);
  // A previous download stopped half-way.
  fs::path out = root() / "out.bin";
  {
    std::ifstream in(src, std::ios::binary);
    std::string half(2 << 20, '\0');
    in.read(half.data(), static_cast<std::streamsize>(half.size()));
    write_file_atomic(root() / "out.bin.part", half);
  }
  struct StartCounting : Progress {
    uint64_t first = UINT64_MAX;
    void update(uint64_t done, uint64_t) override {
      if (first == UINT64_MAX) first = done;
    }
  } p;
  st->get("k.bin", out, d.size, d.sha256, p);
  EXPECT_EQ(sha256_file(out).sha256, d.sha256);
  EXPECT_GT(p.first, uint64_t{2} << 20);  // the first report already counts the kept half
}

TEST_F(FileStorageTest, ChecksumMismatchIsIntegrityError) {
  auto st = open();
  fs::path src = make_file("a.bin", 1000);
  auto d = sha256_file(src);
  NullProgress np;
  std::string wrong(64, '0');
  try {
    st->put("k.bin", src, wrong, np);
    FAIL() << "put accepted a wrong checksum";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::integrity);
  }
  EXPECT_FALSE(st->stat("k.bin"));  // nothing published

  st->put("k.bin", src, d.sha256, np);
  try {
    st->get("k.bin", root() / "out.bin", d.size, wrong, np);
    FAIL() << "get accepted a wrong checksum";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::integrity);
    EXPECT_NE(std::string(e.what()).find("k.bin"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(root() / "out.bin"));
  EXPECT_FALSE(fs::exists(root() / "out.bin.part"));  // the next try starts clean
  try {
    st->get("k.bin", root() / "out.bin", d.size + 1, d.sha256, np);
    FAIL() << "get accepted a wrong size";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::integrity);
  }
}

TEST_F(FileStorageTest, RefusesBadKeysAndPresign) {
  auto st = open();
  fs::path src = make_file("a.bin", 10);
  auto d = sha256_file(src);
  NullProgress np;
  for (std::string key : {"", "/abs", "a/../b", "a//b", "./a", ".gp-tmp/x"}) {
    try {
      st->put(key, src, d.sha256, np);
      FAIL() << "accepted key '" << key << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::bad_input) << key;
    }
  }
  EXPECT_FALSE(fs::exists(root() / "b"));
  try {
    st->presign_get("a.bin", std::chrono::seconds(60));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
  }
}

TEST_F(FileStorageTest, OpenStorageByScheme) {
  StorageConfig cfg;
  cfg.url = (root() / "plain").string();
  EXPECT_EQ(open_storage(cfg)->url(), "file://" + (root() / "plain").string());
  for (std::string bad : {"ftp://x/y", "file://relative", "s3://", "nothing"}) {
    cfg.url = bad;
    try {
      open_storage(cfg);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::config) << bad;
    }
  }
}

}  // namespace
}  // namespace gp
