// `batchdot bench`: the performance sweep as one table, with the limits of the
// machine it runs on measured first. Progress goes to stderr, the table to stdout.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "batchdot/bench_sweep.hpp"
#include "batchdot/cli_util.hpp"
#include "batchdot/commands.hpp"
#include "batchdot/roofline.hpp"

namespace batchdot::cli {
namespace {

struct BenchOptions {
  std::vector<int> threads{1, 2};
  std::string filter;
  std::string markdown_path;
  std::string json_path;
  bool quick = false;
};

void RunBench(const BenchOptions& options) {
  const bool tty = isatty(STDERR_FILENO);
  std::vector<SweepCase> cases;
  std::string known;
  for (SweepCase& c : SweepCases()) {
    known += (known.empty() ? "'" : ", '") + c.name + "'";
    if (c.name.find(options.filter) != std::string::npos) cases.push_back(std::move(c));
  }
  if (cases.empty()) {
    throw Error(ErrorKind::kShape, "bench: no shape name contains --filter '" + options.filter + "'; the shapes are " + known);
  }
  const int samples = options.quick ? 3 : 7;
  const double min_sample_seconds = options.quick ? 0.02 : 0.1;
  std::string report, json = "[";
  for (int threads : options.threads) {
    std::fprintf(stderr, "measuring the FMA peak and read bandwidth on %d thread%s...\n", threads,
                 threads == 1 ? "" : "s");
    const Roofline roof = MeasureRoofline(threads);
    std::vector<SweepResult> results;
    for (size_t i = 0; i < cases.size(); ++i) {
      std::fprintf(stderr, tty ? "\r\033[K[%dT %zu/%zu] %s" : "[%dT %zu/%zu] %s\n", threads, i + 1, cases.size(),
                   cases[i].name.c_str());
      std::fflush(stderr);
      results.push_back(RunSweepCase(cases[i], threads, roof, samples, min_sample_seconds));
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    report += FormatSweepTable(results, roof) + "\n";
    json += (json.size() > 1 ? ",\n" : "") + FormatSweepJson(results, roof);
  }
  std::fputs(report.c_str(), stdout);
  if (!options.markdown_path.empty()) {
    std::ofstream out(options.markdown_path);
    out << "# batchdot bench\n\n```\n" << BuildInfo() << "```\n\n" << report;
    if (!out) throw Error(ErrorKind::kIo, options.markdown_path + ": cannot write the report");
  }
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << json << "]\n";
    if (!out) throw Error(ErrorKind::kIo, options.json_path + ": cannot write the results");
  }
}

}  // namespace

Command AddBenchCommand(CLI::App& parent) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* app = parent.add_subcommand("bench", "Time the performance sweep and print one table");
  app->add_option("-t,--threads", options->threads, "Thread counts to run, each 1..1024 (default: 1 2)")
      ->check(ThreadCountValidator())
      ->expected(1, 8);
  app->add_option("--filter", options->filter, "Only shapes whose name contains this text");
  app->add_option("--markdown", options->markdown_path, "Also write the report to this markdown file");
  app->add_option("--json", options->json_path, "Also write the results as JSON (for bench/plot.py)");
  app->add_flag("--quick", options->quick, "Fewer and shorter samples");
  return {app, [options] { RunBench(*options); }};
}

}  // namespace batchdot::cli
