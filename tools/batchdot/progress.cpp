#include "batchdot/progress.hpp"

#include <cmath>
#include <cstdio>

namespace batchdot::cli {

Progress::Progress(bool enabled, uint64_t total_bytes, uint64_t item_bytes)
    : enabled_(enabled && total_bytes > 0),
      total_bytes_(total_bytes),
      item_bytes_(item_bytes > 0 ? item_bytes : 1),
      start_(Clock::now()),
      last_draw_(start_) {}

void Progress::Advance(uint64_t bytes_done) {
  done_ += bytes_done;
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(250) || done_ >= total_bytes_) return;  // Finish() draws the last
  last_draw_ = now;
  Draw(false);
}

void Progress::Finish() {
  if (!enabled_) return;
  Draw(true);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void Progress::Draw(bool final_line) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  // Whole items only: a half-written item is not done.
  const double items = std::floor(static_cast<double>(done_) / static_cast<double>(item_bytes_));
  const double total_items = static_cast<double>(total_bytes_) / static_cast<double>(item_bytes_);
  const double rate = seconds > 0 ? items / seconds : 0;
  const double left = rate > 0 ? (total_items - items) / rate : 0;
  if (final_line) {
    std::fprintf(stderr, "\rbatchdot: %.0f/%.0f items, %.1f items/s, done in %.1f s        ", items,
                 total_items, rate, seconds);
  } else {
    std::fprintf(stderr, "\rbatchdot: %.0f/%.0f items (%.0f%%), %.1f items/s, %.0f s left        ",
                 items, total_items, 100.0 * items / total_items, rate, left);
  }
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace batchdot::cli
