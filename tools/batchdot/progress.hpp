// A progress line on stderr for long runs: items done, rate and time left.
#pragma once

#include <chrono>
#include <cstdint>

namespace batchdot::cli {

// Redraws one line ("\r...") at most every quarter second; Finish() ends it with
// a newline. Disabled, it prints nothing at all. Not thread-safe: call from the
// thread that drives the chunks.
class Progress {
 public:
  // `total_bytes` of output, `item_bytes` per batch item (for the item count).
  Progress(bool enabled, uint64_t total_bytes, uint64_t item_bytes);
  void Advance(uint64_t bytes_done);
  void Finish();

 private:
  void Draw(bool final_line);
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  uint64_t total_bytes_, item_bytes_, done_ = 0;
  Clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace batchdot::cli
