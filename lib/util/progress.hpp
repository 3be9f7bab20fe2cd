#pragma once
// How the library reports progress. The library never writes to the terminal:
// the verb hands it a Progress (a terminal line on stderr, or nothing).
#include <cstdint>
#include <string>

namespace gp {

class Progress {
 public:
  virtual ~Progress() = default;
  // A new phase, e.g. "files" with the expected total (0 when unknown).
  virtual void start(const std::string& /*label*/, uint64_t /*total_bytes*/) {}
  // Work done in the current phase so far.
  virtual void update(uint64_t /*bytes_done*/, uint64_t /*items_done*/) {}
  virtual void finish() {}
  // A warning a user should see even with -q ("the work tree has uncommitted changes").
  virtual void warn(const std::string& /*message*/) {}
  // An informational line: a result or a decision the user should know of
  // ("deployed dev to test"); suppressed by -q.
  virtual void info(const std::string& /*message*/) {}
  // A step of the work ("uploading X", "making a safety backup of dev"): progress,
  // so shown only where progress is (a terminal, or --progress), as git does.
  virtual void step(const std::string& /*message*/) {}
};

// A Progress that reports nothing (warnings included). Used by tests and hooks.
class NullProgress : public Progress {};

}  // namespace gp
