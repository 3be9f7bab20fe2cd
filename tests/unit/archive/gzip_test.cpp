#include "archive/gzip.hpp"

#include <fcntl.h>

#include "archive/archive_helpers.hpp"
#include "fixture.hpp"

namespace gp::test {
namespace {

class GzipTest : public TempDirTest {
 protected:
  // Compresses `input` (written in odd-sized pieces) into a file and returns its path.
  fs::path compress_to_file(const std::string& input, const GzipOptions& opt, const std::string& name = "out.gz") {
    fs::path p = root() / name;
    Fd fd = open_file(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FdSink sink(fd.get(), p.string());
    GzipWriter gz(sink, opt);
    for (size_t off = 0; off < input.size();) {
      size_t n = std::min<size_t>(input.size() - off, 1 + (off * 7919) % 300000);
      gz.write(input.data() + off, n);
      off += n;
    }
    gz.close();
    EXPECT_EQ(gz.bytes_in(), input.size());
    EXPECT_EQ(gz.bytes_out(), sink.bytes());
    return p;
  }

  std::string gunzip_tool(const fs::path& p) {
    ProcessSpec spec;
    spec.argv = {"gzip", "-dc", p.string()};
    auto r = run_capture(spec);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  std::string gunzip_python(const fs::path& p) {
    ProcessSpec spec;
    spec.argv = {"python3", "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())", p.string()};
    auto r = run_capture(spec);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  std::string gunzip_reader(const std::string& compressed) {
    StringSource src(compressed);
    GzipReader reader(src, "test.gz");
    std::string out;
    char buf[65536];
    for (size_t n; (n = reader.read(buf, sizeof buf)) > 0;) out.append(buf, n);
    return out;
  }
};

TEST_F(GzipTest, RoundTripsThroughGzipPythonAndReaderAtBlockBoundaries) {
  const size_t block = 4096;
  std::vector<std::string> pairs;  // gz, raw, gz, raw... checked by one python3 run
  int n = 0;
  for (auto engine : {GzipEngine::libdeflate, GzipEngine::zlib}) {
    for (size_t size : {size_t{0}, size_t{1}, block - 1, block, block + 1, 3 * block + 7, size_t{200000}}) {
      for (int kind = 0; kind < 2; ++kind) {
        SCOPED_TRACE("size " + std::to_string(size) + " kind " + std::to_string(kind) + " engine " +
                     std::to_string(static_cast<int>(engine)));
        std::string input = kind ? random_bytes(size, static_cast<unsigned>(size)) : text_bytes(size);
        GzipOptions opt{.level = 6, .threads = 2, .block_size = block, .engine = engine};
        std::string base = "case" + std::to_string(n++);
        fs::path p = compress_to_file(input, opt, base + ".gz");
        write_file_atomic(root() / (base + ".raw"), input);
        pairs.push_back(p.string());
        pairs.push_back((root() / (base + ".raw")).string());
        EXPECT_EQ(gunzip_tool(p), input);
        EXPECT_EQ(gunzip_reader(read_text_file(p)), input);
      }
    }
  }
  std::vector<std::string> argv = {"python3", "-c",
                                   "import gzip,sys\n"
                                   "a=sys.argv[1:]\n"
                                   "bad=[a[i] for i in range(0,len(a),2) if gzip.open(a[i]).read()!=open(a[i+1],'rb').read()]\n"
                                   "print('ok', len(a)//2, 'bad', bad)\n"};
  argv.insert(argv.end(), pairs.begin(), pairs.end());
  EXPECT_EQ(run(argv, root()), "ok " + std::to_string(n) + " bad []\n");
}

TEST_F(GzipTest, CompressesTextAndStoresIncompressibleBlocks) {
  std::string text = text_bytes(4 << 20);
  fs::path pt = compress_to_file(text, GzipOptions{.level = 6}, "text.gz");
  EXPECT_LT(fs::file_size(pt), text.size() / 3);
  EXPECT_EQ(gunzip_tool(pt), text);

  std::string noise = random_bytes(4 << 20, 7);
  fs::path p = root() / "noise.gz";
  Fd fd = open_file(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FdSink sink(fd.get(), p.string());
  GzipWriter gz(sink, GzipOptions{.level = 6, .threads = 2, .block_size = 1 << 20});
  gz.write(noise.data(), noise.size());
  gz.close();
  EXPECT_EQ(gz.blocks_stored(), 16U);  // 4 MiB in parts of 256 KiB
  EXPECT_LT(fs::file_size(p), noise.size() + noise.size() / 100);
  EXPECT_EQ(gunzip_tool(p), noise);
  EXPECT_EQ(gunzip_python(p), noise);
}

TEST_F(GzipTest, EmptyInputIsAValidGzipFile) {
  fs::path p = compress_to_file("", GzipOptions{});
  EXPECT_GT(fs::file_size(p), 0U);
  EXPECT_EQ(gunzip_tool(p), "");
  EXPECT_EQ(gunzip_python(p), "");
}

TEST_F(GzipTest, WorkerFailureReachesTheCaller) {
  std::string input = text_bytes(64 * 4096);
  detail::gzip_fail_block_for_tests = 5;
  StringSink sink;
  bool thrown = false;
  try {
    GzipWriter gz(sink, GzipOptions{.level = 6, .threads = 2, .block_size = 4096});
    gz.write(input.data(), input.size());
    gz.close();
  } catch (const InternalError& e) {
    thrown = true;
    EXPECT_NE(std::string(e.what()).find("injected"), std::string::npos);
  }
  detail::gzip_fail_block_for_tests = -1;
  EXPECT_TRUE(thrown);
  EXPECT_FALSE(sink.closed);
}

TEST_F(GzipTest, SinkFailureReachesTheCallerAndWorkersStop) {
  class FailingSink final : public ByteSink {
   public:
    void write(const char*, size_t) override { throw Error(Exit::remote, "disk full"); }
  } sink;
  std::string input = text_bytes(64 * 4096);
  GzipWriter gz(sink, GzipOptions{.level = 1, .threads = 2, .block_size = 4096});
  try {
    gz.write(input.data(), input.size());
    gz.close();
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::remote);
  }
  EXPECT_THROW(gz.write("x", 1), InternalError);
}

TEST_F(GzipTest, ReaderReadsConcatenatedMembersFromGzip) {
  fs::path a = root() / "a", b = root() / "b";
  write_file_atomic(a, "first part\n");
  write_file_atomic(b, "second part\n");
  std::string ga = run({"gzip", "-c", a.string()}, root());
  std::string gb = run({"gzip", "-c", b.string()}, root());
  EXPECT_EQ(gunzip_reader(ga + gb), "first part\nsecond part\n");
}

TEST_F(GzipTest, ReaderRefusesTruncatedAndCorruptInput) {
  std::string input = text_bytes(300000);
  StringSink sink;
  {
    GzipWriter gz(sink, GzipOptions{.level = 6, .threads = 2, .block_size = 65536});
    gz.write(input.data(), input.size());
    gz.close();
  }
  const std::string good = sink.data;
  ASSERT_EQ(gunzip_reader(good), input);

  auto expect = [&](const std::string& data, const std::string& text) {
    try {
      gunzip_reader(data);
      ADD_FAILURE() << "no exception for " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::integrity);
      EXPECT_EQ(std::string(e.what()), "test.gz: " + text);
    }
  };
  expect(good.substr(0, good.size() - 5), "truncated gzip stream");
  expect(good.substr(0, good.size() / 2), "truncated gzip stream");
  expect("", "truncated gzip stream");
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  expect(flipped, "corrupt gzip data");
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  expect(bad_crc, "corrupt gzip data");
  expect(good + "garbage after the end", "corrupt gzip data");
  expect("this is not gzip at all", "corrupt gzip data");
}

// Members too large for the whole-member fast path (gzip writes one member for
// the whole input) are decoded by the streaming path, also between small ones.
TEST_F(GzipTest, ReaderDecodesMembersLargerThanItsFastPathBetweenSmallOnes) {
  std::string big = text_bytes(3 << 20), small = "a small member\n";
  fs::path a = root() / "big", b = root() / "small";
  write_file_atomic(a, big);
  write_file_atomic(b, small);
  std::string gbig = run({"gzip", "-1", "-c", a.string()}, root());
  std::string gsmall = run({"gzip", "-c", b.string()}, root());
  EXPECT_EQ(gunzip_reader(gsmall + gbig + gsmall), small + big + small);
  try {
    gunzip_reader(gsmall + gbig.substr(0, gbig.size() - 100));
    ADD_FAILURE() << "no exception for a truncated large member";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "test.gz: truncated gzip stream");
  }
  std::string flipped = gbig;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
  EXPECT_THROW(gunzip_reader(flipped), Error);
}

}  // namespace
}  // namespace gp::test
