// batchdot: the command-line tool. Parses the command line, runs one subcommand
// and maps every failure to one stderr line and an exit status.
//
// Exit status: 0 success (including --help and --version); 1 any error in the
// inputs, the contraction, the memory or the files (batchdot::Error, other
// exceptions); 2 a malformed command line (every CLI11 parse error); 128 + N when
// stopped by signal N (SIGINT, SIGTERM, SIGHUP: the partial output is removed).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "batchdot/commands.hpp"

namespace batchdot::cli {
namespace {

// The order of `batchdot --help`. `bench` (the performance sweep) joins as
// AddBenchCommand, declared in commands.hpp and defined in bench.cpp.
constexpr CommandFactory kCommandFactories[] = {AddRunCommand, AddDemoCommand, AddInfoCommand,
                                                AddBenchCommand};

// Error messages must stay on one line: scripts and tests read exactly one.
void PrintError(const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "batchdot: error: " << line << std::endl;
}

// "batchdot 0.1.0" and the SIMD targets, from BuildInfo()'s "... target..." lines.
std::string VersionText() {
  std::string text = std::string("batchdot ") + kVersion;
  const std::string info = BuildInfo();
  size_t start = 0;
  while (start < info.size()) {
    size_t end = info.find('\n', start);
    if (end == std::string::npos) end = info.size();
    const std::string line = info.substr(start, end - start);
    if (line.find("target") != std::string::npos) text += "\n" + line;
    start = end + 1;
  }
  return text;
}

std::string CommandNames(const std::vector<Command>& commands) {
  std::string names;
  for (const Command& command : commands)
    names += (names.empty() ? "" : ", ") + command.app->get_name();
  return names;
}

// CLI11's message, with the hint CLI11 would print on a second line folded in,
// and an unknown or missing subcommand named as such (CLI11 calls both missing).
std::string DescribeParseError(const CLI::App& app, const std::vector<Command>& commands,
                               const CLI::ParseError& error) {
  std::string help = "batchdot --help";
  for (const Command& command : commands) {
    if (command.app->parsed()) help = "batchdot " + command.app->get_name() + " --help";
  }
  std::string what = error.what();
  if (app.get_subcommands().empty()) {
    const std::vector<std::string> remaining = app.remaining();
    if (remaining.empty()) {
      what = "no command given (commands: " + CommandNames(commands) + ")";
    } else {
      const bool is_option = remaining.front().rfind('-', 0) == 0;
      what = (is_option ? "unknown option '" : "unknown command '") + remaining.front() +
             "' (commands: " + CommandNames(commands) + ")";
    }
  }
  return what + "; see '" + help + "'";
}

int Main(int argc, char** argv) {
  CLI::App app{"batchdot: Keras- and MindSpore-exact batch_dot on .npy files."};
  app.name("batchdot");
  app.set_version_flag("--version", VersionText, "Print the version and SIMD targets, then exit");
  app.require_subcommand(1, 1);
  app.footer(
      "Exit status: 0 success, 1 an error in the inputs, the contraction, the memory or the "
      "files, 2 a malformed command line, 128+N stopped by signal N. Errors are one line on "
      "stderr starting with 'batchdot: error:'.");

  std::vector<Command> commands;
  for (CommandFactory add : kCommandFactories) commands.push_back(add(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0 that print to stdout.
    if (e.get_exit_code() == 0) return app.exit(e);
    PrintError(DescribeParseError(app, commands, e));
    return 2;
  }

  try {
    for (const Command& command : commands) {
      if (command.app->parsed()) {
        command.run();
        return 0;
      }
    }
    PrintError("no subcommand given");  // unreachable: require_subcommand(1)
    return 2;
  } catch (const std::bad_alloc&) {
    // Results say their size (Error kMemory, below); this is any other allocation.
    PrintError("out of memory (while reading the inputs or planning)");
  } catch (const std::exception& e) {
    PrintError(e.what());
  } catch (...) {
    PrintError("unknown failure");
  }
  return 1;
}

}  // namespace
}  // namespace batchdot::cli

int main(int argc, char** argv) { return batchdot::cli::Main(argc, argv); }
