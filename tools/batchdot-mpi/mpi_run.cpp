// The collective write: phases that end in an agreement (MPI_Allreduce), so a
// failure on one rank stops every rank at the same point and nothing hangs.
#include "mpi_run.hpp"

#include <mpi.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "batchdot/chunked_run.hpp"
#include "batchdot/error.hpp"
#include "core/byte_size.hpp"
#include "batchdot/output_hooks.hpp"
#include "batchdot/progress.hpp"
#include "batchdot/signal_cleanup.hpp"
#include "io/npy.hpp"
#include "io/npy_file_writer.hpp"

namespace batchdot::mpi {
namespace {

// MPI counts are int: every collective write moves at most this many bytes.
constexpr uint64_t kMaxWriteBytes = uint64_t{1} << 30;

class Ranks {
 public:
  explicit Ranks(void (*print_error)(const std::string&)) : print_error_(print_error) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const { return rank_; }
  int size() const { return size_; }

  // True when every rank passed `ok`. Otherwise the lowest failing rank prints
  // its message, so the user sees it once.
  bool Agree(bool ok, const std::string& message) const {
    const int mine = ok ? size_ : rank_;
    int first = size_;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == size_) return true;
    if (first == rank_) print_error_(message);
    return false;
  }

  uint64_t Max(uint64_t value) const { return Reduce(value, MPI_MAX); }
  uint64_t Sum(uint64_t value) const { return Reduce(value, MPI_SUM); }

  std::string BroadcastFromRoot(std::string text) const {
    unsigned long long length = text.size();
    MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    text.resize(length);
    MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD);
    return text;
  }

 private:
  static uint64_t Reduce(uint64_t value, MPI_Op op) {
    unsigned long long mine = value, result = 0;
    MPI_Allreduce(&mine, &result, 1, MPI_UNSIGNED_LONG_LONG, op, MPI_COMM_WORLD);
    return result;
  }
  int rank_ = 0, size_ = 1;
  void (*print_error_)(const std::string&);
};

std::string MpiErrorText(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<size_t>(length));
}

// Runs `step`, turning any exception into (false, its message).
template <typename Step>
std::pair<bool, std::string> Try(Step&& step) {
  try {
    step();
    return {true, {}};
  } catch (const std::bad_alloc&) {
    return {false, "out of memory"};
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
}

// The balanced contiguous range of rank r: sizes differ by at most one item.
std::pair<int64_t, int64_t> RangeOf(int64_t items, int rank, int size) {
  const int64_t base = items / size, extra = items % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

// The collective file and the temporary name it was opened under.
struct SharedFile {
  MPI_File handle = MPI_FILE_NULL;
  std::string temp_path;
};

// Closes and (rank 0) removes the temporary file after a failure agreed by all.
void Abandon(const Ranks& ranks, SharedFile& file) {
  if (file.handle != MPI_FILE_NULL) MPI_File_close(&file.handle);
  if (ranks.rank() == 0 && !file.temp_path.empty()) unlink(file.temp_path.c_str());
  MPI_Barrier(MPI_COMM_WORLD);  // no rank reports success-free exit before the file is gone
  cli::DisarmSignalCleanup();
}

// Writes `bytes` at `offset` in `rounds` collective calls of at most kMaxWriteBytes.
std::pair<bool, std::string> WriteCollective(MPI_File handle, MPI_Offset offset, const uint8_t* data,
                                             uint64_t bytes, uint64_t rounds) {
  std::pair<bool, std::string> result{true, {}};
  for (uint64_t r = 0; r < rounds; ++r) {
    const uint64_t begin = std::min(bytes, r * kMaxWriteBytes);
    const uint64_t count = std::min(bytes - begin, kMaxWriteBytes);
    MPI_Status status;
    const int code = MPI_File_write_at_all(handle, offset + static_cast<MPI_Offset>(begin), data + begin,
                                           static_cast<int>(count), MPI_BYTE, &status);
    if (code != MPI_SUCCESS && result.first) result = {false, "cannot write (MPI-IO): " + MpiErrorText(code)};
  }
  return result;
}

}  // namespace

int RunSharded(const cli::RunOptions& options, void (*print_error)(const std::string&)) {
  const Ranks ranks(print_error);
  cli::InstallSignalCleanup();
  // A signalled mpirun exits without waiting for its ranks, which would then
  // finish (or half-finish) the job as orphans. Dying with the launcher instead
  // runs the SIGTERM cleanup: the temporary file goes too.
  const pid_t launcher = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != launcher) raise(SIGTERM);
  const std::string& path = options.output_path;

  // 1. Every rank checks -o, maps the inputs and resolves the contraction.
  std::optional<cli::RunProblem> problem;
  std::unique_ptr<cli::ChunkedRun> run;
  auto [ok, message] = Try([&] {
    io::CheckOutputPath(path);
    problem.emplace(cli::OpenRunProblem(options));
    run = std::make_unique<cli::ChunkedRun>(*problem, options);
  });
  if (!ranks.Agree(ok, message)) return 1;
  const Contraction& c = problem->contraction;
  const std::string prefix = io::NpyPrefix(c.dtype, c.output_shape);
  const uint64_t total = prefix.size() + run->total_bytes();

  // 2. Rank 0 clears temporaries of killed runs, names the temporary file and
  // checks the space; all open it. MPI-IO needs a name every rank can open, so
  // this is the named temporary (a SIGKILL leaves it; the next run removes it).
  SharedFile file;
  std::string temp_name;
  std::tie(ok, message) = Try([&] {
    if (ranks.rank() != 0) return;
    cli::RemoveStaleTemporariesOf(path);
    io::CheckFreeSpace(io::FolderOf(path), total, path, core::ShapeAndDTypeText(c.output_shape, c.dtype),
                       !options.no_space_margin);
    temp_name = io::TemporaryNpyPath(path);
  });
  if (!ranks.Agree(ok, message)) return 1;
  file.temp_path = ranks.BroadcastFromRoot(temp_name);
  cli::ArmSignalCleanup(file.temp_path);
  int code = MPI_File_open(MPI_COMM_WORLD, file.temp_path.c_str(), MPI_MODE_CREATE | MPI_MODE_EXCL | MPI_MODE_WRONLY,
                           MPI_INFO_NULL, &file.handle);
  if (code != MPI_SUCCESS) file.handle = MPI_FILE_NULL;
  if (!ranks.Agree(code == MPI_SUCCESS, path + ": cannot create a temporary file in folder '" + io::FolderOf(path) +
                                            "': " + MpiErrorText(code))) {
    // Only remove what this run created: EXCL failed means another owner's file.
    if (file.handle == MPI_FILE_NULL && code != MPI_SUCCESS) file.temp_path.clear();
    Abandon(ranks, file);
    return 1;
  }
  code = MPI_File_set_size(file.handle, static_cast<MPI_Offset>(total));
  if (code == MPI_SUCCESS && ranks.rank() == 0) {
    MPI_Status status;
    code = MPI_File_write_at(file.handle, 0, prefix.data(), static_cast<int>(prefix.size()), MPI_BYTE, &status);
  }
  if (!ranks.Agree(code == MPI_SUCCESS, path + ": cannot size or write the output to " + core::ByteSizeText(total) +
                                            ": " + MpiErrorText(code))) {
    Abandon(ranks, file);
    return 1;
  }
  cli::TestStop("created");

  // 3. Each rank computes its items chunk by chunk; every round is collective.
  const auto [begin, end] = RangeOf(run->items(), ranks.rank(), ranks.size());
  const std::vector<cli::Chunk> chunks = run->Chunks(begin, end);
  const uint64_t rounds = ranks.Max(chunks.size());
  // Rank 0 draws the progress of all ranks: every round sums what each wrote.
  cli::Progress progress(ranks.rank() == 0 && cli::ShowProgress(options), run->total_bytes(), run->item_bytes());
  for (uint64_t round = 0; round < rounds; ++round) {
    const cli::Chunk* chunk = round < chunks.size() ? &chunks[round] : nullptr;
    const void* data = nullptr;
    std::tie(ok, message) = Try([&] {
      if (chunk != nullptr) data = run->Compute(*chunk);
    });
    if (!ranks.Agree(ok, message)) {
      Abandon(ranks, file);
      return 1;
    }
    const uint64_t bytes = chunk != nullptr ? chunk->bytes : 0;
    const uint64_t writes = ranks.Max((bytes + kMaxWriteBytes - 1) / kMaxWriteBytes);
    const MPI_Offset offset = static_cast<MPI_Offset>(prefix.size() + (chunk != nullptr ? chunk->offset : 0));
    std::tie(ok, message) = WriteCollective(file.handle, offset, static_cast<const uint8_t*>(data), bytes, writes);
    if (!ranks.Agree(ok, path + ": " + message)) {
      Abandon(ranks, file);
      return 1;
    }
    progress.Advance(ranks.Sum(bytes));
    if (round == 0) cli::TestStop("chunk");
  }

  // 4. Flush and close everywhere, then rank 0 renames once all succeeded.
  code = MPI_File_sync(file.handle);
  if (!ranks.Agree(code == MPI_SUCCESS, path + ": cannot sync the output to disk: " + MpiErrorText(code))) {
    Abandon(ranks, file);
    return 1;
  }
  cli::TestStop("synced");
  code = MPI_File_close(&file.handle);
  if (!ranks.Agree(code == MPI_SUCCESS, path + ": cannot write: " + MpiErrorText(code))) {
    Abandon(ranks, file);
    return 1;
  }
  // mpirun gone means the job was cancelled (SIGHUP makes it exit without
  // waiting, and PR_SET_PDEATHSIG, tied to the thread that forked a rank, does
  // not always fire): no rank may publish a result then.
  if (!ranks.Agree(getppid() == launcher, path + ": the launcher (mpirun) exited: the job was cancelled")) {
    Abandon(ranks, file);
    return 1;
  }
  std::tie(ok, message) = Try([&] {
    if (ranks.rank() != 0) return;
    if (std::rename(file.temp_path.c_str(), path.c_str()) != 0)
      throw Error(ErrorKind::kIo, path + ": cannot rename the temporary file over the output: " +
                                      std::strerror(errno));
  });
  if (!ranks.Agree(ok, message)) {
    Abandon(ranks, file);
    return 1;
  }
  cli::DisarmSignalCleanup();
  progress.Finish();
  return 0;
}

}  // namespace batchdot::mpi
