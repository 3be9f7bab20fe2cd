#include "archive/gzip.hpp"

#include <unistd.h>
#include <zlib.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "util/error.hpp"
#include "util/deflate_handles.hpp"
#include "util/signals.hpp"

namespace gp {

namespace detail {
std::atomic<long> gzip_fail_block_for_tests{-1};
}  // namespace detail

namespace {

// Blocks are compressed in parts of kPart bytes, each its own gzip member, so
// that a block mixing text and JPEG data (a tar crossing file boundaries) stores
// only the incompressible parts. Whether a part compresses is judged by a level-1
// trial on kSample bytes from its middle (file headers at a part's start compress
// better than the payload); above kStoreRatio it is stored.
constexpr size_t kPart = 256 * 1024;
constexpr size_t kSample = 32 * 1024;
constexpr double kStoreRatio = 0.97;

unsigned online_cpus() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1U;
}

DeflateCompressor make_compressor(int level) {
  DeflateCompressor c(libdeflate_alloc_compressor(level));
  if (!c) throw InternalError("cannot allocate a deflate compressor at level " + std::to_string(level));
  return c;
}

// A zlib deflate stream producing gzip members, reset for every block.
class ZlibDeflater {
 public:
  explicit ZlibDeflater(int level) {
    std::memset(&z_, 0, sizeof z_);
    if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw InternalError("cannot initialise zlib deflate");
  }
  ~ZlibDeflater() { deflateEnd(&z_); }
  ZlibDeflater(const ZlibDeflater&) = delete;
  ZlibDeflater& operator=(const ZlibDeflater&) = delete;

  // After a finished stream zlib forgets the gzip wrapper until reset, and the
  // bound would be too small by the header size.
  size_t bound(size_t n) {
    deflateReset(&z_);
    return deflateBound(&z_, static_cast<uLong>(n));
  }
  size_t compress(const char* in, size_t n, char* out, size_t cap) {
    deflateReset(&z_);
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z_.avail_in = static_cast<uInt>(n);
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(cap);
    if (deflate(&z_, Z_FINISH) != Z_STREAM_END) throw InternalError("zlib deflate did not finish a block");
    return cap - z_.avail_out;
  }

 private:
  z_stream z_;
};

// What one worker thread owns: compressors are not thread-safe.
struct WorkerState {
  WorkerState(const GzipOptions& o)
      : main(o.engine == GzipEngine::libdeflate ? make_compressor(o.level) : nullptr),
        sample(make_compressor(1)),
        store(make_compressor(0)) {
    if (o.engine == GzipEngine::zlib) zlib = std::make_unique<ZlibDeflater>(o.level);
  }
  DeflateCompressor main, sample, store;
  std::unique_ptr<ZlibDeflater> zlib;
  std::vector<char> sample_out;
};

}  // namespace

struct GzipWriter::Impl {
  enum class State { free, queued, done };
  struct Slot {
    std::vector<char> in, out;
    size_t in_len = 0, out_len = 0;
    long seq = 0;
    unsigned stored = 0;  // parts stored
    State state = State::free;
    std::exception_ptr error;
  };

  ByteSink& out;
  GzipOptions opt;
  std::vector<Slot> slots;
  std::vector<size_t> free_slots;
  std::deque<size_t> inflight;  // submitted slots, in output order
  std::deque<size_t> jobs;      // submitted slots not yet taken by a worker
  std::mutex m;
  std::condition_variable cv_job, cv_done;
  bool stop = false;
  std::vector<std::thread> workers;
  long cur = -1;  // slot being filled
  long next_seq = 0;
  bool closed = false, failed = false;
  uint64_t in_bytes = 0, out_bytes = 0, stored_blocks = 0;

  Impl(ByteSink& o, const GzipOptions& options) : out(o), opt(options) {
    if (opt.level < 1 || opt.level > 9) throw InternalError("gzip level out of range: " + std::to_string(opt.level));
    if (opt.block_size < 1024) opt.block_size = 1024;
    if (opt.threads == 0) opt.threads = online_cpus();
    slots.resize(2 * opt.threads + 1);
    for (size_t i = slots.size(); i-- > 0;) free_slots.push_back(i);
    // Compressors are created here so that an allocation failure is reported by
    // the constructor rather than by a worker.
    std::vector<std::unique_ptr<WorkerState>> states;
    for (unsigned i = 0; i < opt.threads; ++i) states.push_back(std::make_unique<WorkerState>(opt));
    try {
      for (auto& st : states) workers.emplace_back([this, s = std::move(st)]() mutable { work(*s); });
    } catch (...) {
      shutdown();
      throw;
    }
  }

  ~Impl() { shutdown(); }

  void shutdown() noexcept {
    {
      std::lock_guard lk(m);
      stop = true;
      jobs.clear();
    }
    cv_job.notify_all();
    for (auto& t : workers)
      if (t.joinable()) t.join();
    workers.clear();
  }

  void work(WorkerState& ws) {
    for (;;) {
      size_t idx;
      {
        std::unique_lock lk(m);
        cv_job.wait(lk, [&] { return stop || !jobs.empty(); });
        if (stop) return;
        idx = jobs.front();
        jobs.pop_front();
      }
      Slot& s = slots[idx];
      try {
        if (s.seq == detail::gzip_fail_block_for_tests.load()) throw InternalError("injected gzip worker failure");
        compress(ws, s);
      } catch (...) {
        s.error = std::current_exception();
      }
      {
        std::lock_guard lk(m);
        s.state = State::done;
      }
      cv_done.notify_all();
    }
  }

  bool incompressible(WorkerState& ws, const char* data, size_t n) {
    if (!opt.store_incompressible || n < 2 * kSample) return false;
    const char* sample = data + (n - kSample) / 2;
    ws.sample_out.resize(libdeflate_deflate_compress_bound(ws.sample.get(), kSample));
    size_t trial = libdeflate_deflate_compress(ws.sample.get(), sample, kSample, ws.sample_out.data(),
                                               ws.sample_out.size());
    return trial == 0 || static_cast<double>(trial) > kStoreRatio * static_cast<double>(kSample);
  }

  void compress(WorkerState& ws, Slot& s) {
    const size_t part = opt.store_incompressible ? kPart : std::max<size_t>(s.in_len, 1);
    size_t cap = 0;
    for (size_t off = 0; off < s.in_len || off == 0; off += part) {
      size_t n = std::min(part, s.in_len - off);
      cap += std::max(libdeflate_gzip_compress_bound(ws.store.get(), n),
                      ws.main ? libdeflate_gzip_compress_bound(ws.main.get(), n) : ws.zlib->bound(n));
      if (s.in_len == 0) break;
    }
    if (s.out.size() < cap) s.out.resize(cap);
    s.out_len = 0;
    s.stored = 0;
    for (size_t off = 0; off < s.in_len || off == 0; off += part) {
      const char* in = s.in.data() + off;
      size_t n = std::min(part, s.in_len - off);
      bool stored = incompressible(ws, in, n);
      char* dst = s.out.data() + s.out_len;
      size_t room = s.out.size() - s.out_len, made;
      if (stored || opt.engine == GzipEngine::libdeflate) {
        made = libdeflate_gzip_compress(stored ? ws.store.get() : ws.main.get(), in, n, dst, room);
        if (made == 0) throw InternalError("libdeflate gzip output exceeded its bound");
      } else {
        made = ws.zlib->compress(in, n, dst, room);
      }
      s.out_len += made;
      s.stored += stored ? 1 : 0;
      if (s.in_len == 0) break;
    }
  }

  void submit() {
    Slot& s = slots[static_cast<size_t>(cur)];
    s.seq = next_seq++;
    s.error = nullptr;
    {
      std::lock_guard lk(m);
      s.state = State::queued;
      jobs.push_back(static_cast<size_t>(cur));
      inflight.push_back(static_cast<size_t>(cur));
    }
    cv_job.notify_one();
    cur = -1;
  }

  // Writes finished blocks at the head of the queue, waiting for the head when
  // `wait` (used when no slot is free, and at close).
  void drain(bool wait, bool all) {
    for (;;) {
      size_t idx;
      {
        std::unique_lock lk(m);
        if (inflight.empty()) return;
        idx = inflight.front();
        if (slots[idx].state != State::done) {
          if (!wait) return;
          cv_done.wait(lk, [&] { return slots[idx].state == State::done; });
        }
        inflight.pop_front();
      }
      Slot& s = slots[idx];
      if (s.error) std::rethrow_exception(s.error);
      out.write(s.out.data(), s.out_len);
      out_bytes += s.out_len;
      stored_blocks += s.stored;
      s.state = State::free;
      s.in_len = 0;
      free_slots.push_back(idx);
      if (!all) wait = false;  // one forced block is enough; take the rest only if ready
    }
  }

  void acquire() {
    if (free_slots.empty()) drain(true, false);
    cur = static_cast<long>(free_slots.back());
    free_slots.pop_back();
    Slot& s = slots[static_cast<size_t>(cur)];
    if (s.in.size() < opt.block_size) s.in.resize(opt.block_size);
    s.in_len = 0;
  }

  void write(const char* data, size_t size) {
    while (size > 0) {
      if (cur < 0) acquire();
      Slot& s = slots[static_cast<size_t>(cur)];
      size_t n = std::min(size, opt.block_size - s.in_len);
      std::memcpy(s.in.data() + s.in_len, data, n);
      s.in_len += n;
      in_bytes += n;
      data += n;
      size -= n;
      if (s.in_len == opt.block_size) {
        submit();
        drain(false, false);
      }
    }
  }

  void close() {
    if (cur >= 0 && slots[static_cast<size_t>(cur)].in_len > 0) submit();
    if (next_seq == 0) {  // empty input: one empty member keeps the file a valid gzip
      if (cur < 0) acquire();
      submit();
    }
    drain(true, true);
    shutdown();
    out.close();
  }
};

GzipWriter::GzipWriter(ByteSink& out, int level, unsigned threads)
    : GzipWriter(out, GzipOptions{.level = level, .threads = threads}) {}

GzipWriter::GzipWriter(ByteSink& out, const GzipOptions& options) : impl_(std::make_unique<Impl>(out, options)) {}

GzipWriter::~GzipWriter() = default;

void GzipWriter::write(const char* data, size_t size) {
  if (impl_->closed || impl_->failed) throw InternalError("write to a closed or failed gzip writer");
  check_interrupted();
  try {
    impl_->write(data, size);
  } catch (...) {
    impl_->failed = true;
    impl_->shutdown();
    throw;
  }
}

void GzipWriter::close() {
  if (impl_->closed) return;
  if (impl_->failed) throw InternalError("close of a failed gzip writer");
  try {
    impl_->close();
    impl_->closed = true;
  } catch (...) {
    impl_->failed = true;
    impl_->shutdown();
    throw;
  }
}

uint64_t GzipWriter::bytes_in() const noexcept { return impl_->in_bytes; }
uint64_t GzipWriter::bytes_out() const noexcept { return impl_->out_bytes; }
uint64_t GzipWriter::blocks_stored() const noexcept { return impl_->stored_blocks; }

// ---------------------------------------------------------------------------

// Members up to kMemberOut bytes decoded (GzipWriter's are 256 KiB) are inflated
// whole by libdeflate, 2-3x faster than zlib and CRC-checked; a member that does
// not fit (other tools write one member for the whole stream), or any failure, is
// decoded again from its first byte by zlib, streaming, which then also tells a
// truncated stream from corrupt data. Memory: the input window and one member.
struct GzipReader::Impl {
  static constexpr size_t kMemberOut = 1 << 20;
  // Enough input to hold any member of at most kMemberOut decoded bytes, even stored.
  static constexpr size_t kLookahead = kMemberOut + (64 << 10);
  static constexpr size_t kWindow = 4 * kLookahead;

  ByteSource& in;
  std::string what;
  std::vector<char> ibuf = std::vector<char>(kWindow);
  size_t ipos = 0, iend = 0;
  bool in_eof = false;
  std::vector<char> obuf = std::vector<char>(kMemberOut);
  size_t opos = 0, oend = 0;
  DeflateDecompressor fast{libdeflate_alloc_decompressor()};
  z_stream z;
  bool zlib_member = false;  // the current member is being decoded by zlib
  std::atomic<uint64_t> consumed{0};  // compressed bytes decoded so far
  bool any_member = false;
  bool eof = false;

  Impl(ByteSource& src, std::string w) : in(src), what(std::move(w)) {
    if (!fast) throw InternalError("cannot allocate a libdeflate decompressor");
    std::memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) throw InternalError("cannot initialise zlib inflate");
  }
  ~Impl() { inflateEnd(&z); }

  [[noreturn]] void truncated() { throw Error(Exit::integrity, what + ": truncated gzip stream"); }
  [[noreturn]] void corrupt() { throw Error(Exit::integrity, what + ": corrupt gzip data"); }

  // Reads until at least `want` bytes are buffered or the input ends.
  void fill(size_t want) {
    if (iend - ipos >= want || in_eof) return;
    if (ipos > 0) {
      std::memmove(ibuf.data(), ibuf.data() + ipos, iend - ipos);
      iend -= ipos;
      ipos = 0;
    }
    while (iend < want && !in_eof) {
      size_t n = in.read(ibuf.data() + iend, ibuf.size() - iend);
      if (n == 0) in_eof = true;
      iend += n;
    }
  }

  // Inflates part of the current member with zlib straight into the caller's buffer.
  size_t read_zlib(char* data, size_t size) {
    for (;;) {
      fill(1);
      if (ipos == iend) truncated();
      z.next_in = reinterpret_cast<Bytef*>(ibuf.data() + ipos);
      z.avail_in = static_cast<uInt>(iend - ipos);
      z.next_out = reinterpret_cast<Bytef*>(data);
      z.avail_out = static_cast<uInt>(std::min<size_t>(size, 1U << 30));
      const uInt want = z.avail_out;
      int rc = inflate(&z, Z_NO_FLUSH);
      consumed.fetch_add(iend - z.avail_in - ipos, std::memory_order_relaxed);
      ipos = iend - z.avail_in;
      if (rc == Z_STREAM_END) zlib_member = false;
      else if (rc == Z_MEM_ERROR) throw InternalError("zlib inflate: out of memory");
      else if (rc != Z_OK && rc != Z_BUF_ERROR) corrupt();
      size_t made = want - z.avail_out;
      if (made > 0 || !zlib_member) return made;
    }
  }

  size_t read(char* data, size_t size) {
    while (!eof && size > 0) {
      if (opos < oend) {
        size_t n = std::min(size, oend - opos);
        std::memcpy(data, obuf.data() + opos, n);
        opos += n;
        return n;
      }
      if (zlib_member) {
        if (size_t n = read_zlib(data, size)) return n;
        continue;
      }
      // At the start of a member, or at the end of the stream.
      fill(kLookahead);
      if (ipos == iend) {
        if (!any_member) truncated();
        eof = true;
        break;
      }
      any_member = true;
      size_t used = 0, made = 0;
      auto r = libdeflate_gzip_decompress_ex(fast.get(), ibuf.data() + ipos, iend - ipos, obuf.data(), obuf.size(),
                                            &used, &made);
      if (r == LIBDEFLATE_SUCCESS) {
        ipos += used;
        consumed.fetch_add(used, std::memory_order_relaxed);
        opos = 0;
        oend = made;
      } else {
        inflateReset(&z);
        zlib_member = true;
      }
    }
    return 0;
  }
};

GzipReader::GzipReader(ByteSource& in, std::string what) : impl_(std::make_unique<Impl>(in, std::move(what))) {}
GzipReader::~GzipReader() = default;
size_t GzipReader::read(char* data, size_t size) { return impl_->read(data, size); }
uint64_t GzipReader::compressed_bytes() const noexcept { return impl_->consumed.load(std::memory_order_relaxed); }

}  // namespace gp
