// Small helpers shared by the subcommands: shape text and call timing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace batchdot::cli {

// NumPy's repr of a shape: "(10, 12, 4, 5)", "(5,)", "()".
std::string ShapeText(std::span<const int64_t> shape);

// --threads values: batchdot::ThreadCountProblem's rule (1..kMaxThreads), the
// one rule of SetNumThreads and the Python module; leaving --threads out is the default.
CLI::Validator ThreadCountValidator();

struct CallTiming {
  double median_us = 0;
  int samples = 0;
};

// Times `call` one call at a time after one warm-up call: at least `min_samples`
// calls, then more until `budget_seconds` have passed or `max_samples` calls
// were made. The median resists the odd interrupted call better than the mean.
CallTiming TimeCalls(const std::function<void()>& call, double budget_seconds = 0.25,
                     int min_samples = 11, int max_samples = 20001);

}  // namespace batchdot::cli
