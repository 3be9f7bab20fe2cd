#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "archive/archive_helpers.hpp"
#include "archive/gzip.hpp"
#include "archive/tar.hpp"
#include "fixture.hpp"

namespace gp::test {
namespace {

class RecordingProgress final : public Progress {
 public:
  void warn(const std::string& m) override { warnings.push_back(m); }
  void update(uint64_t bytes, uint64_t items) override {
    last_bytes = bytes;
    last_items = items;
  }
  std::vector<std::string> warnings;
  uint64_t last_bytes = 0, last_items = 0;
};

struct Node {
  char type;  // f, d, l
  mode_t mode;
  time_t mtime;
  std::string content;  // file content or link target
};

// Everything under `dir` by relative path, read with lstat.
std::map<std::string, Node> scan(const fs::path& dir) {
  std::map<std::string, Node> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    struct stat st;
    EXPECT_EQ(::lstat(it->path().c_str(), &st), 0);
    Node n{'?', st.st_mode & 07777, st.st_mtim.tv_sec, {}};
    if (S_ISREG(st.st_mode)) n.type = 'f', n.content = read_text_file(it->path());
    else if (S_ISDIR(st.st_mode)) n.type = 'd';
    else if (S_ISLNK(st.st_mode)) n.type = 'l', n.content = fs::read_symlink(it->path()).string();
    out[fs::relative(it->path(), dir).string()] = n;
  }
  return out;
}

class FilesTarTest : public TempDirTest {
 protected:
  void file(const std::string& rel, const std::string& content, mode_t mode = 0644) {
    fs::path p = src() / rel;
    fs::create_directories(p.parent_path());
    write_file_atomic(p, content, mode);
    ::chmod(p.c_str(), mode);
  }
  fs::path src() const { return root() / "src"; }

  // Gives every entry under src a fixed mtime (directories last).
  void settle_times() {
    std::vector<fs::path> all;
    for (auto& e : fs::recursive_directory_iterator(src())) all.push_back(e.path());
    std::sort(all.rbegin(), all.rend());
    all.push_back(src());
    int i = 0;
    for (auto& p : all) {
      struct timespec ts[2] = {{1600000000 + i, 0}, {1600000000 + i, 0}};
      ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << p;
      ++i;
    }
  }

  TarStats archive_to(const fs::path& out, RecordingProgress& progress) {
    Fd fd = open_file(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FdSink sink(fd.get(), out.string());
    GzipWriter gz(sink, 6);
    TarStats st = write_files_tar(src(), "files_dev", {"styles", "css/", "private/tmp", "*/cache"},
                                  {src() / "db" / "site.sqlite"}, gz, progress);
    gz.close();
    return st;
  }
};

TEST_F(FilesTarTest, ArchiveExtractsWithTarToTheSameTreeMinusExcludes) {
  file("a.txt", "alpha\n");
  file("bin/run.sh", "#!/bin/sh\necho hi\n", 0755);
  file("secret.key", "s3cr3t", 0600);
  file("with space.txt", "spaces");
  file("caf\xc3\xa9 \xc3\xbc/na\xc3\xafve.txt", "utf-8 names");
  file("nested/deep/er/file.bin", random_bytes(3 << 20, 3));
  file("big/text.log", text_bytes(2 << 20));
  file("styles/x.css", "excluded");
  file("css/y.css", "excluded");
  file("sub/styles/keep.css", "kept: only the top-level styles is excluded");
  file("private/tmp/z", "excluded by a path pattern");
  file("private/keep", "kept");
  file("a/cache/q", "excluded by */cache");
  file("a/b/cache/q", "kept: */cache matches one level");
  file("db/site.sqlite", "the environment's own database");
  fs::create_directories(src() / "empty");
  fs::create_directory_symlink("nested", src() / "dirlink");
  fs::create_symlink("a.txt", src() / "link");
  fs::create_symlink("../outside/dangling", src() / "dangling");
  ASSERT_EQ(::mkfifo((src() / "fifo").c_str(), 0644), 0);
  settle_times();

  RecordingProgress progress;
  fs::path gz = root() / "files.tar.gz";
  TarStats st = archive_to(gz, progress);
  ASSERT_EQ(progress.warnings.size(), 1U);
  EXPECT_NE(progress.warnings[0].find("skipping named pipe"), std::string::npos) << progress.warnings[0];

  // Listing with the real tar: every name under files_dev/.
  std::string listing = run({"tar", "-tzf", gz.string()}, root());
  size_t lines = 0;
  for (size_t pos = 0, end; (end = listing.find('\n', pos)) != std::string::npos; pos = end + 1, ++lines)
    EXPECT_EQ(listing.compare(pos, 9, "files_dev"), 0) << listing.substr(pos, end - pos);
  EXPECT_EQ(lines, st.entries);
  EXPECT_EQ(progress.last_items, st.entries);
  std::string verbose = run({"tar", "-tzvf", gz.string()}, root());
  EXPECT_NE(verbose.find("-rwxr-xr-x"), std::string::npos);
  EXPECT_NE(verbose.find("-rw-------"), std::string::npos);
  EXPECT_NE(verbose.find("files_dev/link -> a.txt"), std::string::npos) << verbose;

  // Reproducible: the same tree gives the same bytes.
  RecordingProgress again;
  archive_to(root() / "again.tar.gz", again);
  EXPECT_TRUE(read_text_file(gz) == read_text_file(root() / "again.tar.gz"));

  fs::path out = root() / "out";
  fs::create_directories(out);
  run({"tar", "-xzf", gz.string(), "-C", out.string()}, root());
  ::unlink((src() / "fifo").c_str());  // changes only src's own mtime, which scan() does not compare
  auto want = scan(src());
  for (auto* gone : {"styles", "styles/x.css", "css", "css/y.css", "private/tmp", "private/tmp/z", "a/cache",
                     "a/cache/q", "db/site.sqlite"})
    ASSERT_EQ(want.erase(gone), 1U) << gone;
  auto got = scan(out / "files_dev");
  ASSERT_EQ(got.size(), want.size());
  for (auto& [rel, w] : want) {
    SCOPED_TRACE(rel);
    auto it = got.find(rel);
    ASSERT_NE(it, got.end());
    const Node& g = it->second;
    EXPECT_EQ(g.type, w.type);
    EXPECT_TRUE(g.content == w.content);
    if (w.type != 'l') {
      EXPECT_EQ(g.mode, w.mode);
      EXPECT_EQ(g.mtime, w.mtime);
    }
  }
  EXPECT_EQ(st.data_bytes, uint64_t{(3 << 20) + (2 << 20)} + 6 + 18 + 6 + 6 + 11 + 43 + 4 + 31);

}

TEST_F(FilesTarTest, MissingDirectoryIsBadInput) {
  StringSink sink;
  NullProgress progress;
  try {
    write_files_tar(root() / "nope", "files_dev", {}, {}, sink, progress);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
  }
}

}  // namespace
}  // namespace gp::test
