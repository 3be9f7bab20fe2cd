#include <gtest/gtest.h>

#include "fixture.hpp"
#include "util/json.hpp"
#include "util/lock.hpp"
#include "util/sha256.hpp"
#include "util/stream.hpp"
#include "util/timeutil.hpp"

namespace gp {
namespace {

TEST(Json, EscapesAndNests) {
  JsonWriter j;
  j.begin_object().field("a", "x\"y\n").key("b").begin_array().value(1).value(true).null().end_array().field("c", uint64_t{7});
  j.end_object();
  EXPECT_EQ(j.str(), R"({"a":"x\"y\n","b":[1,true,null],"c":7})");
  EXPECT_EQ(json_quote("\x01"), "\"\\u0001\"");
  EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_quote("bad\xff"), "\"bad\\ufffd\"");
}

TEST(Time, DurationsAndTimestamps) {
  EXPECT_EQ(parse_duration("30d", "x"), std::chrono::seconds(30 * 86400));
  EXPECT_EQ(parse_duration("12w", "x"), std::chrono::seconds(12 * 7 * 86400));
  EXPECT_EQ(parse_duration("6m", "x"), std::chrono::seconds(6 * 30 * 86400));
  EXPECT_EQ(parse_duration("1y", "x"), std::chrono::seconds(365 * 86400));
  EXPECT_EQ(parse_short_duration("15m", "x"), std::chrono::seconds(900));
  for (const char* bad : {"", "d", "0d", "30", "30x", "-1d", "1.5d", "99999999999d", "10s"})
    EXPECT_THROW(parse_duration(bad, "x"), Error) << bad;
  auto t = parse_iso8601("2026-11-25T12:34:56.000123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(iso8601(*t), "2026-11-25T12:34:56.000123Z");
  EXPECT_EQ(pantheon_stamp(*t), "2026-11-25T12-34-56");
  EXPECT_TRUE(parse_iso8601("2026-11-25T12:34:56Z"));
  for (const char* bad : {"", "2026-11-25", "2026-13-25T00:00:00Z", "2026-11-25T12:34:56", "2026-11-25T12:34:56.Z"})
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  // Found by fuzzing the manifest parser: what parses must be written back the same.
  for (const char* good : {"1013-11-25T12:00:00.123456Z", "1969-12-31T23:59:59.999999Z", "0999-01-01T00:00:00.000000Z",
                           "2024-02-29T00:00:00.000000Z"}) {
    auto back = parse_iso8601(good);
    ASSERT_TRUE(back) << good;
    EXPECT_EQ(iso8601(*back), good);
  }
  EXPECT_EQ(pantheon_stamp(*parse_iso8601("1969-12-31T23:59:59.5Z")), "1969-12-31T23-59-59");
  for (const char* bad : {"2026-02-31T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-25T12:34:60Z", " 999-01-01T00:00:00Z",
                          "+999-01-01T00:00:00Z", "2026-1-25T12:34:56Z", "2026-11-25T1:34:56.0Z"})
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
}

// Times for people: the local zone from TZ (judged against fixed, known offsets),
// --utc, and ages at each unit's boundaries.
TEST(Time, DisplayInTheLocalZoneAndAges) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  auto t = *parse_iso8601("2026-07-01T10:00:00Z");
  ::setenv("TZ", "Europe/Berlin", 1);
  ::tzset();
  EXPECT_EQ(display_time(t, false), "2026-07-01 12:00:00 CEST");
  EXPECT_EQ(display_time(*parse_iso8601("2026-01-01T10:00:00Z"), false), "2026-01-01 11:00:00 CET");
  EXPECT_EQ(display_time(t, true), "2026-07-01 10:00:00 UTC");
  EXPECT_EQ(display_time(*parse_iso8601("2026-06-30T22:30:00Z"), false, true), "2026-07-01");
  ::setenv("TZ", "Asia/Kathmandu", 1);  // +0545, with an abbreviation or a numeric one
  ::tzset();
  auto np = display_time(t, false);
  EXPECT_EQ(np.substr(0, 20), "2026-07-01 15:45:00 ") << np;
  EXPECT_FALSE(np.substr(20).empty()) << np;
  if (old) ::setenv("TZ", saved.c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();

  using std::chrono::seconds;
  auto ago = [&](long long s) { return age_text(t - seconds(s), t); };
  EXPECT_EQ(ago(0), "just now");
  EXPECT_EQ(ago(59), "just now");
  EXPECT_EQ(ago(60), "1 min ago");
  EXPECT_EQ(ago(3599), "59 min ago");
  EXPECT_EQ(ago(3600), "1 h ago");
  EXPECT_EQ(ago(3 * 3600 + 59), "3 h ago");
  EXPECT_EQ(ago(48 * 3600 - 1), "47 h ago");
  EXPECT_EQ(ago(48 * 3600), "2 days ago");
  EXPECT_EQ(ago(9 * 86400 + 5), "9 days ago");
  EXPECT_EQ(ago(99 * 86400), "99 days ago");
  EXPECT_EQ(ago(100 * 86400), "3 months ago");
  EXPECT_EQ(ago(729 * 86400), "24 months ago");
  EXPECT_EQ(ago(730 * 86400), "2 years ago");
  EXPECT_EQ(age_text(t + seconds(3 * 3600), t), "in 3 h");
  EXPECT_EQ(age_text(t + seconds(30), t), "in under a minute");
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

class FsTest : public test::TempDirTest {};

TEST_F(FsTest, AtomicFileIsInvisibleUntilPublishedAndRemovedWhenAbandoned) {
  fs::path target = root() / "out.bin";
  {
    AtomicFile f(target);
    f.write("abc", 3);
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::exists(f.temp_path()));
  }
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(std::distance(fs::directory_iterator(root()), fs::directory_iterator()), 2);  // home, empty-config
  {
    AtomicFile f(target);
    f.write("abc", 3);
    f.publish();
  }
  EXPECT_EQ(read_text_file(target), "abc");
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  AtomicFile again(target);
  again.write("x", 1);
  EXPECT_THROW(again.publish(), Error);  // never replaces an existing archive
  EXPECT_EQ(read_text_file(target), "abc");
}

TEST_F(FsTest, PathWithin) {
  EXPECT_TRUE(path_within("/a/b", "/a/b/c"));
  EXPECT_TRUE(path_within("/a/b", "/a/b"));
  EXPECT_FALSE(path_within("/a/b", "/a/bc"));
  EXPECT_FALSE(path_within("/a/b", "/a/b/../c"));
}

TEST_F(FsTest, LockIsExclusiveAndTimesOut) {
  FileLock a(root() / "lock", std::chrono::milliseconds(0), "x");
  // flock locks belong to the open file description: a second open in this
  // process conflicts just as another process would.
  try {
    FileLock b(root() / "lock", std::chrono::milliseconds(100), "the store");
    FAIL() << "second lock acquired";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::locked);
    EXPECT_NE(std::string(e.what()).find("another git-pantheon command"), std::string::npos);
  }
}

TEST_F(FsTest, ProcessCapturesOutputAndStatus) {
  auto r = run_capture({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err");
  try {
    Process p({.argv = {"surely-not-a-program-xyz"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
  }
}

// A source handing out `total` bytes in pieces of `piece`, then throwing when asked.
class PatternSource final : public ByteSource {
 public:
  PatternSource(size_t total, size_t piece, bool fail_at_end) : total_(total), piece_(piece), fail_(fail_at_end) {}
  size_t read(char* data, size_t size) override {
    size_t n = std::min({size, piece_, total_ - pos_});
    if (n == 0 && fail_) throw Error(Exit::integrity, "pattern: broken at the end");
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>((pos_ + i) * 131 % 251);
    pos_ += n;
    return n;
  }

 private:
  size_t total_, piece_, pos_ = 0;
  bool fail_;
};

TEST(ReadAhead, DeliversTheSameBytesInOrderWhateverTheSizes) {
  // (total, piece): every byte a chunk of its own; pieces smaller and larger than a chunk.
  for (auto [total, piece] : {std::pair<size_t, size_t>{20'011, 1}, {3'000'001, 1000}, {3'000'001, 70000}}) {
    PatternSource expect(total, 4096, false), inner(total, piece, false);
    ReadAheadSource ahead(inner, 65536, 3);
    std::string got, want;
    std::vector<char> buf(9973);
    for (size_t n; (n = ahead.read(buf.data(), buf.size())) > 0;) got.append(buf.data(), n);
    for (size_t n; (n = expect.read(buf.data(), buf.size())) > 0;) want.append(buf.data(), n);
    EXPECT_EQ(got.size(), total);
    EXPECT_TRUE(got == want) << "piece " << piece;
    EXPECT_EQ(ahead.read(buf.data(), buf.size()), 0U) << "read after the end";
  }
}

TEST(ReadAhead, AnErrorArrivesAfterTheBytesBeforeIt) {
  PatternSource inner(500'000, 7000, true);
  ReadAheadSource ahead(inner, 65536, 2);
  std::vector<char> buf(100000);
  size_t total = 0;
  try {
    for (size_t n; (n = ahead.read(buf.data(), buf.size())) > 0;) total += n;
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::integrity);
    EXPECT_EQ(std::string(e.what()), "pattern: broken at the end");
  }
  EXPECT_EQ(total, 500'000U);
}

TEST(ReadAhead, StopsWithoutReadingToTheEndWhenDestroyed) {
  PatternSource inner(size_t{1} << 40, 65536, false);  // far more than will ever be read
  {
    ReadAheadSource ahead(inner, 65536, 4);
    char c;
    EXPECT_EQ(ahead.read(&c, 1), 1U);
  }  // must return promptly
}

}  // namespace
}  // namespace gp
