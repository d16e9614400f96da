// The out-of-core .npy writer and the mapped reader it pairs with: np.save's
// bytes from pieces written in any order, no file left on failure, the -o path
// checks, and per-piece native copies that keep the layout's axis order.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <numeric>
#include <vector>

#include "batchdot/error.hpp"
#include "io/npy.hpp"
#include "io/npy_file_writer.hpp"
#include "core/byte_size.hpp"
#include "io/npy_mapped.hpp"
#include "io/output_file.hpp"
#include "npy_test_util.hpp"

namespace batchdot::io {
namespace {

using testing::ReadAll;
using testing::TempDir;

std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(NpyFileWriter, PiecesInAnyOrderGiveWriteNpysBytes) {
  TempDir dir;
  std::vector<double> values(5 * 7 * 3);
  std::iota(values.begin(), values.end(), -20.0);
  const int64_t shape[3] = {5, 7, 3}, strides[3] = {21, 3, 1};
  WriteNpy(dir.File("whole.npy"), TensorView{values.data(), DType::kFloat64, shape, strides});
  {
    NpyFileWriter writer(dir.File("pieces.npy"), DType::kFloat64, shape);
    EXPECT_EQ(writer.data_bytes(), values.size() * 8);
    for (int64_t item : {3, 0, 4, 1, 2}) {  // out of order, like ranks finishing at different times
      std::vector<double> piece(values.begin() + item * 21, values.begin() + (item + 1) * 21);
      writer.WriteData(static_cast<uint64_t>(item) * 21 * 8, piece.data(), piece.size() * 8);
    }
    writer.Commit();
  }
  EXPECT_EQ(ReadAll(dir.File("pieces.npy")), ReadAll(dir.File("whole.npy")));
  EXPECT_EQ(dir.Entries().size(), 2u);
}

TEST(NpyFileWriter, WithoutCommitNothingIsLeftAndTheTargetIsUntouched) {
  TempDir dir;
  const std::string target = dir.Write("out.npy", {'o', 'l', 'd'});
  const int64_t shape[2] = {100, 100};
  {
    NpyFileWriter writer(target, DType::kFloat32, shape);
    EXPECT_EQ(dir.Entries().size(), 1u);  // the target: the new file has no name yet
  }
  {
    OutputHooks named;
    named.allow_unnamed = false;
    NpyFileWriter writer(target, DType::kFloat32, shape, named);
    EXPECT_EQ(dir.Entries().size(), 2u);  // the target and the named temporary (the fallback)
  }
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"out.npy"});
  EXPECT_EQ(ReadAll(target), (testing::Bytes{'o', 'l', 'd'}));
}

TEST(NpyFileWriter, TheTemporaryFileIsPreSized) {
  TempDir dir;
  const std::string target = dir.File("out.npy");
  const int64_t shape[3] = {3, 1000, 1000};
  OutputHooks named;
  named.allow_unnamed = false;
  NpyFileWriter writer(target, DType::kComplex64, shape, named);
  ASSERT_EQ(dir.Entries().size(), 1u);
  const std::string temp = dir.File(dir.Entries()[0]);
  struct stat info {};
  ASSERT_EQ(stat(temp.c_str(), &info), 0);
  EXPECT_EQ(static_cast<uint64_t>(info.st_size), NpyPrefix(DType::kComplex64, shape).size() + 3u * 1000 * 1000 * 8);
}

TEST(NpyFileWriter, NotEnoughSpaceNamesBothSizes) {
  TempDir dir;
  const int64_t shape[3] = {1000, 1000000, 1000000};  // 4.0 PB of float32 and a 128-byte header
  const std::string message = ErrorOf([&] {
    NpyFileWriter writer(dir.File("out.npy"), DType::kFloat32, shape);
  });
  EXPECT_NE(message.find("not enough space"), std::string::npos) << message;
  EXPECT_NE(message.find("the result needs 4.0 PB (1000 x 1000000 x 1000000 float32), "), std::string::npos) << message;
  EXPECT_TRUE(dir.Entries().empty());
}

TEST(CheckOutputPath, RefusesEverythingThatCannotBeAFile) {
  TempDir dir;
  dir.Write("file", {1});
  mkdir(dir.File("sub").c_str(), 0755);
  EXPECT_NE(ErrorOf([] { CheckOutputPath(""); }).find("'': the output path is empty"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { CheckOutputPath(dir.File("sub") + "/"); }).find("ends in '/'"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { CheckOutputPath(dir.File("sub")); }).find("existing folder"), std::string::npos);
  EXPECT_NE(ErrorOf([] { CheckOutputPath("."); }).find(".: the output path is an existing folder"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { CheckOutputPath("/dev/null"); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { CheckOutputPath(dir.File("no/out.npy")); }).find("No such file or directory"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { CheckOutputPath(dir.File("file/out.npy")); }).find("not a folder"), std::string::npos);
  CheckOutputPath(dir.File("new.npy"));  // fine: a new file in an existing folder
  CheckOutputPath(dir.File("file"));     // fine: an existing regular file is replaced
}

TEST(NpyFileWriter, FolderAndSizeText) {
  EXPECT_EQ(FolderOf("out.npy"), ".");
  EXPECT_EQ(FolderOf("/out.npy"), "/");
  EXPECT_EQ(FolderOf("a/b/out.npy"), "a/b");
  EXPECT_EQ(core::ByteSizeText(512), "512 bytes");
  EXPECT_EQ(core::ByteSizeText(3'100'000), "3.1 MB");
  EXPECT_EQ(core::ByteSizeText(80e9L), "80.0 GB");
  const int64_t shape[] = {2, 100000, 100000};
  EXPECT_EQ(core::ShapeAndDTypeText(shape, DType::kFloat32), "2 x 100000 x 100000 float32");
  EXPECT_EQ(core::ShapeAndDTypeText({}, DType::kFloat16), "float16");
  const std::string temp = TemporaryNpyPath("a/b/out.npy");
  EXPECT_EQ(temp.rfind("a/b/.out.npy.tmp." + std::to_string(getpid()) + ".", 0), 0u) << temp;
}

TEST(SpaceMargin, TheLargerOfOnePercentAnd256MiBAtMostTheFileSystem) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  EXPECT_EQ(SpaceMarginBytes(100 * kMiB), 100 * kMiB);            // small: the whole file system
  EXPECT_EQ(SpaceMarginBytes(10'000 * kMiB), 256 * kMiB);         // 1% is 100 MiB: 256 MiB
  EXPECT_EQ(SpaceMarginBytes(8'000'000'000'000), 80'000'000'000u);  // 8 TB: 1%
}

TEST(SpaceMargin, TheMessageNamesTheSizesAndTheMargin) {
  constexpr uint64_t kGB = 1'000'000'000;
  const std::string what = "2 x 100000 x 100000 float32";
  // The case: 80.0 GB into 81.0 GB free of a 250 GB disk (margin 2.5 GB).
  const std::string message = ErrorOf([&] { CheckSpace(80 * kGB, 81 * kGB, 250 * kGB, true, "/data", "out.npy", what); });
  EXPECT_EQ(message,
            "out.npy: not enough space in '/data': the result needs 80.0 GB (2 x 100000 x 100000 float32), 81.0 GB "
            "available, and it would leave 1.0 GB free, less than the margin of 2.5 GB (the larger of 1% of the "
            "file system and 256 MiB); --no-space-margin writes it anyway");
  CheckSpace(80 * kGB, 81 * kGB, 250 * kGB, false, "/data", "out.npy", what);  // the override
  CheckSpace(80 * kGB, 83 * kGB, 250 * kGB, true, "/data", "out.npy", what);   // 3 GB left: fine
  const std::string over = ErrorOf([&] { CheckSpace(90 * kGB, 81 * kGB, 250 * kGB, false, "/d", "o.npy", what); });
  EXPECT_EQ(over, "o.npy: not enough space in '/d': the result needs 90.0 GB (2 x 100000 x 100000 float32), "
                  "81.0 GB available");
}

TEST(OutputFile, StaleTemporariesOfDeadProcessesOnly) {
  TempDir dir;
  const std::string target = dir.File("out.npy");
  // A name of this (live) process, as TemporaryNpyPath makes it, is kept.
  const std::string live = TemporaryNpyPath(target);
  dir.Write(live.substr(live.rfind('/') + 1), {1});
  // pid 2^22 + 1 is above Linux's pid_max limit (2^22): no such process can exist.
  dir.Write(".out.npy.tmp.4194305.9", {1, 2, 3});
  const std::vector<StaleTemporary> removed = RemoveStaleTemporaries(target);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].path, dir.File(".out.npy.tmp.4194305.9"));
  EXPECT_EQ(removed[0].pid, 4194305);
  EXPECT_EQ(removed[0].bytes, 3u);
  EXPECT_EQ(dir.Entries().size(), 1u);
}

// A big-endian Fortran-order int32 (2, 3, 4) file: the mapping keeps the stored
// bytes, and a native copy of a sub-view keeps Fortran order.
TEST(MappedNpy, NativeCopyOfAPieceKeepsTheAxisOrder) {
  TempDir dir;
  std::vector<int32_t> logical(24);  // logical[(a * 3 + b) * 4 + c] = value at (a, b, c)
  std::iota(logical.begin(), logical.end(), 1000);
  testing::Bytes data;
  for (int c = 0; c < 4; ++c)
    for (int b = 0; b < 3; ++b)
      for (int a = 0; a < 2; ++a) {
        const uint32_t v = static_cast<uint32_t>(logical[(a * 3 + b) * 4 + c]);
        for (int byte = 3; byte >= 0; --byte) data.push_back(static_cast<uint8_t>(v >> (8 * byte)));
      }
  const std::string path = dir.Write(
      "be.npy", testing::MakeV1("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3, 4), }", data));
  const MappedNpy file(path, {});
  ASSERT_TRUE(file.needs_native_copy());
  const TensorView stored = file.stored_view();
  EXPECT_EQ(std::vector<int64_t>(stored.strides_elems.begin(), stored.strides_elems.end()),
            (std::vector<int64_t>{1, 2, 6}));
  // The piece [1:2, 0:3, 1:3].
  const int64_t shape[3] = {1, 3, 2};
  const auto* base = static_cast<const int32_t*>(stored.data) + 1 * 1 + 1 * 6;
  const TensorView piece{base, DType::kInt32, shape, stored.strides_elems};
  std::vector<int32_t> copy(6);
  const std::vector<int64_t> strides = CopyToNative(piece, /*swap_bytes=*/true, copy.data());
  EXPECT_EQ(strides, (std::vector<int64_t>{1, 1, 3}));
  for (int b = 0; b < 3; ++b)
    for (int c = 0; c < 2; ++c) EXPECT_EQ(copy[b * strides[1] + c * strides[2]], logical[(1 * 3 + b) * 4 + c + 1]);
}

}  // namespace
}  // namespace batchdot::io
