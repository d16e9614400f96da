// Shape text and call timing for the subcommands.
#include "batchdot/cli_util.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot::cli {

std::string ShapeText(std::span<const int64_t> shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

CLI::Validator ThreadCountValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t n = 0;
        if (!CLI::detail::lexical_cast(text, n)) return "expected an integer thread count, got '" + text + "'";
        return ThreadCountProblem(n);
      },
      "1..1024", "threads");
}

CallTiming TimeCalls(const std::function<void()>& call, double budget_seconds, int min_samples,
                     int max_samples) {
  using Clock = std::chrono::steady_clock;
  call();  // warm-up: first-touch page faults, kernel table and thread pool start-up
  std::vector<double> micros;
  const Clock::time_point deadline =
      Clock::now() +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget_seconds));
  while (static_cast<int>(micros.size()) < max_samples &&
         (static_cast<int>(micros.size()) < min_samples || Clock::now() < deadline)) {
    const Clock::time_point start = Clock::now();
    call();
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  const auto middle = micros.begin() + static_cast<std::ptrdiff_t>(micros.size() / 2);
  std::nth_element(micros.begin(), middle, micros.end());
  return {*middle, static_cast<int>(micros.size())};
}

}  // namespace batchdot::cli
