#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <iostream>
#include <map>

#include "archive/archive_helpers.hpp"
#include "archive/gzip.hpp"
#include "archive/tar.hpp"
#include "fixture.hpp"


namespace gp::test {
namespace {

// The script beside this file writes the hostile corpus.
fs::path hostile_script() { return fs::path(GP_UNIT_DIR) / "archive" / "data" / "hostile.py"; }

// Every path under `dir` except those under `skip`, with type, size, mode, mtime and content hash.
std::map<std::string, std::string> snapshot(const fs::path& dir, const fs::path& skip) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    std::string v = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                    std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) v += " " + std::to_string(std::hash<std::string>{}(read_text_file(it->path())));
    if (S_ISLNK(st.st_mode)) v += " -> " + fs::read_symlink(it->path()).string();
    out[it->path().string()] = v;
  }
  return out;
}

class ExtractTest : public TempDirTest {
 protected:
  fs::path corpus() {
    fs::path base = root() / "corpus";
    fs::create_directories(base);
    run({"python3", hostile_script().string(), base.string()}, root());
    return base;
  }
  static fs::path archive_in(const fs::path& dir) {
    for (auto* n : {"archive.tar.gz", "archive.zip"})
      if (fs::exists(dir / n)) return dir / n;
    return {};
  }
};

TEST_F(ExtractTest, HostileArchivesAreRefusedAndNothingLandsOutsideDest) {
  fs::path base = corpus();
  // Nothing may change in the test's temporary root outside each case's dest.
  const fs::path dest_parent_name = "outer/inner";
  int hostile = 0, refused = 0;
  std::vector<std::string> cases;
  for (auto& e : fs::directory_iterator(base)) cases.push_back(e.path().filename().string());
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 30U);
  for (auto& name : cases) {
    SCOPED_TRACE(name);
    fs::path dir = base / name;
    fs::path dest = dir / dest_parent_name / "dest";
    fs::path archive = archive_in(dir);
    ASSERT_FALSE(archive.empty());
    fs::create_directories(dest);
    auto before = snapshot(root(), dest);
    NullProgress progress;
    std::string outcome = "extracted";
    auto t0 = std::chrono::steady_clock::now();
    try {
      extract_archive(archive, dest, 0, ExtractLimits{}, progress);
    } catch (const Error& e) {
      outcome = e.what();
      EXPECT_EQ(e.code(), Exit::bad_input) << e.what();
      EXPECT_EQ(outcome.rfind("refusing archive '" + archive.filename().string() + "': entry '", 0), 0U) << outcome;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "  " << name << ": " << outcome << "\n";
    auto after = snapshot(root(), dest);
    for (auto& [path, v] : before) {
      auto it = after.find(path);
      if (it == after.end()) ADD_FAILURE() << "gone: " << path;
      else if (it->second != v) ADD_FAILURE() << "changed: " << path << ": " << v << " -> " << it->second;
    }
    for (auto& [path, v] : after)
      if (!before.count(path)) ADD_FAILURE() << "new: " << path;
    EXPECT_EQ(read_text_file(dir / "VICTIM.txt"), "victim\n");
    if (name.rfind("ok-", 0) == 0) {
      // The read-only case: extracted, set-id bits dropped, and removable.
      EXPECT_EQ(outcome, "extracted");
      struct stat st;
      ASSERT_EQ(::lstat((dest / "ro/file.txt").c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 07777, 0444U);
      ASSERT_EQ(::lstat((dest / "ro").c_str(), &st), 0);
      if (name.find("tar") != std::string::npos) {
        EXPECT_EQ(st.st_mode & 07777, 0555U);
      }
      ASSERT_EQ(::lstat((dest / "setuid").c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 07777, 0755U);
      EXPECT_EQ(read_text_file(dest / "ro/file.txt"), "read-only");
      remove_tree_noexcept(dest);
      EXPECT_FALSE(fs::exists(dest));
    } else if (name.find("-data-") != std::string::npos) {
      // Links and odd names are data: extracted as archived, and nothing outside
      // dest changed (the snapshot above).
      EXPECT_EQ(outcome, "extracted");
      if (name.find("symlink-passwd") != std::string::npos) {
        EXPECT_EQ(fs::read_symlink(dest / "passwd"), "/etc/passwd");
      }
      if (name.find("symlink-root") != std::string::npos) {
        EXPECT_EQ(fs::read_symlink(dest / "root"), "/");
      }
      if (name.find("case-collision") != std::string::npos) {
        EXPECT_EQ(fs::read_symlink(dest / "LINK"), (dir / "swapped").string());
        EXPECT_EQ(read_text_file(dest / "link/PWNED.txt"), "pwned");  // another name on Linux: inside dest
      }
    } else {
      ++hostile;
      bool ok = outcome != "extracted";
      if (!ok && name.find("backslash") != std::string::npos) {
        // Allowed: the name kept as one literal file inside dest.
        ok = fs::exists(dest / "..\\..\\..\\PWNED.txt");
      }
      EXPECT_TRUE(ok) << "not refused";
      if (ok) ++refused;
      if (name.find("bomb") != std::string::npos) {
        EXPECT_LT(secs, 20.0) << "the bomb was not stopped early";
        // libarchive may leave the refused file at its declared (sparse) size: count
        // the blocks actually written.
        struct stat st;
        if (::lstat((dest / "zeros").c_str(), &st) == 0) {
          EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{65} << 20);
        }
      }
    }
    remove_tree_noexcept(dest);
  }
  std::cout << "hostile archives refused: " << refused << "/" << hostile << "\n";
  EXPECT_EQ(refused, hostile);
  EXPECT_GE(hostile, 20);
}

class ExtractBasicsTest : public TempDirTest {
 protected:
  fs::path make_tar_gz(const std::vector<std::pair<std::string, std::string>>& files, const std::string& name) {
    fs::path src = root() / ("src-" + name);
    for (auto& [path, content] : files) {
      fs::create_directories((src / path).parent_path());
      write_file_atomic(src / path, content, 0644);
    }
    fs::path out = root() / name;
    run({"tar", "-czf", out.string(), "-C", src.string(), "."}, root());
    return out;
  }
};

TEST_F(ExtractBasicsTest, StripDropsLeadingComponentsAndReadsWhatTarWrote) {
  fs::path gz = make_tar_gz({{"top/a.txt", "a"}, {"top/sub/b.txt", "b"}}, "x.tar.gz");
  NullProgress progress;
  fs::path dest = root() / "dest";
  TarStats st = extract_archive(gz, dest, 1, ExtractLimits{}, progress);  // "./top/a.txt": "." does not count
  EXPECT_EQ(read_text_file(dest / "a.txt"), "a");
  EXPECT_EQ(read_text_file(dest / "sub/b.txt"), "b");
  EXPECT_FALSE(fs::exists(dest / "top"));
  EXPECT_EQ(st.data_bytes, 2U);
}

TEST_F(ExtractBasicsTest, LimitsOnBytesAndEntries) {
  fs::path gz = make_tar_gz({{"a.txt", std::string(5000, 'a')}, {"b.txt", "b"}, {"c.txt", "c"}}, "x.tar.gz");
  NullProgress progress;
  try {
    extract_archive(gz, root() / "d1", 0, ExtractLimits{.max_total_bytes = 4000}, progress);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_NE(std::string(e.what()).find("a.txt' claims"), std::string::npos) << e.what();
  }
  try {
    extract_archive(gz, root() / "d2", 0, ExtractLimits{.max_entries = 2}, progress);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::bad_input);
    EXPECT_NE(std::string(e.what()).find("limit of 2 entries"), std::string::npos) << e.what();
  }
}

TEST_F(ExtractBasicsTest, TruncatedArchiveIsAnIntegrityError) {
  fs::path gz = make_tar_gz({{"a.bin", random_bytes(200000)}}, "x.tar.gz");
  std::string data = read_text_file(gz);
  write_file_atomic(root() / "cut.tar.gz", data.substr(0, data.size() / 2));
  NullProgress progress;
  try {
    extract_archive(root() / "cut.tar.gz", root() / "d", 0, ExtractLimits{}, progress);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::integrity) << e.what();
  }
}

TEST_F(ExtractBasicsTest, CheckArchiveAcceptsGoodArchivesAndGzipFiles) {
  fs::path gz = make_tar_gz({{"a.txt", "alpha"}, {"d/b.txt", "beta"}}, "x.tar.gz");
  NullProgress progress;
  TarStats st = check_archive(gz, progress);
  EXPECT_EQ(st.entries, 4U);  // ./, ./a.txt, ./d/, ./d/b.txt
  EXPECT_EQ(st.data_bytes, 9U);

  // A database dump: a gzip file that is not a tar (our own writer's output).
  fs::path sql = root() / "db.sql.gz";
  {
    Fd fd = open_file(sql, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FdSink sink(fd.get(), sql.string());
    GzipWriter w(sink, GzipOptions{.level = 6, .threads = 2, .block_size = 65536});
    std::string dump = text_bytes(300000);
    w.write(dump.data(), dump.size());
    w.close();
  }
  st = check_archive(sql, progress);
  EXPECT_EQ(st.entries, 1U);
  EXPECT_EQ(st.data_bytes, 300000U);
}

TEST_F(ExtractBasicsTest, CheckArchiveReportsFlippedBytesAndTruncation) {
  fs::path gz = make_tar_gz({{"a.bin", text_bytes(400000)}, {"b.txt", "b"}}, "x.tar.gz");
  std::string data = read_text_file(gz);
  NullProgress progress;
  auto expect_corrupt = [&](const std::string& bytes, const std::string& label) {
    fs::path p = root() / (label + ".tar.gz");
    write_file_atomic(p, bytes);
    try {
      check_archive(p, progress);
      ADD_FAILURE() << label << ": no exception";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::integrity) << label << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("archive '" + p.filename().string() + "' is corrupt: ", 0), 0U)
          << e.what();
    }
  };
  for (size_t at : {size_t{1}, data.size() / 3, data.size() / 2, data.size() - 3}) {
    std::string flipped = data;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
    expect_corrupt(flipped, "flipped-" + std::to_string(at));
  }
  expect_corrupt(data.substr(0, data.size() - 20), "truncated-end");
  expect_corrupt(data.substr(0, data.size() / 2), "truncated-half");
  expect_corrupt("just some text, not an archive\n", "text");
}

}  // namespace
}  // namespace gp::test
