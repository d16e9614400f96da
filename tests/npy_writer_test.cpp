// The .npy writer: numpy's exact bytes, C order from any strides, and the
// temporary-file-then-rename protocol.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "batchdot/error.hpp"
#include "io/npy.hpp"
#include "npy_test_util.hpp"

namespace batchdot::io {
namespace {

using testing::Bytes;
using testing::ReadAll;
using testing::TempDir;

// What numpy 1.24 writes for np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)):
//   b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
//   + 58 spaces + b"\n", then the 24 data bytes at offset 128.
// HEADER_LEN is 118 (0x76, 'v'). Of the 58 spaces, 20 are numpy's "growth padding"
// (room for shape[0] to grow to 21 digits in place, 21 - len("2")) and the rest
// align the data to 64 bytes; batchdot writes both, so the files are identical.
TEST(NpyWriter, BytesEqualNumpysForA2x3Float32) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string numpy_bytes =
      std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + std::string(58, ' ') + "\n";
  ASSERT_EQ(numpy_bytes.size(), 128u);
  const float values[6] = {0, 1, 2, 3, 4, 5};
  numpy_bytes.append(reinterpret_cast<const char*>(values), sizeof values);

  const int64_t shape[2] = {2, 3}, strides[2] = {3, 1};
  TempDir dir;
  const std::string path = dir.File("a.npy");
  WriteNpy(path, TensorView{values, DType::kFloat32, shape, strides});
  EXPECT_EQ(ReadAll(path), Bytes(numpy_bytes.begin(), numpy_bytes.end()));
}

// numpy's forms for rank 0, rank 1 and a 64-byte-aligned edge (numpy then pads
// a full 64 spaces rather than none).
TEST(NpyWriter, PrefixFormsForEveryRankAndPadding) {
  const auto dict_of = [](const std::string& prefix) {
    return prefix.substr(10, prefix.find('}') - 9);
  };
  EXPECT_EQ(dict_of(NpyPrefix(DType::kFloat64, {})),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
  const int64_t five[1] = {5};
  EXPECT_EQ(dict_of(NpyPrefix(DType::kInt64, five)),
            "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }");
  const int64_t bf16_shape[2] = {7, 9};
  EXPECT_EQ(dict_of(NpyPrefix(DType::kBFloat16, bf16_shape)),
            "{'descr': '<V2', 'fortran_order': False, 'shape': (7, 9), }");
  for (int rank = 0; rank <= 32; ++rank) {
    const std::vector<int64_t> shape(static_cast<size_t>(rank), 123456789);
    const std::string prefix = NpyPrefix(DType::kComplex128, shape);
    SCOPED_TRACE(prefix);
    EXPECT_EQ(prefix.size() % 64, 0u);
    EXPECT_EQ(prefix.back(), '\n');
    EXPECT_EQ(prefix[prefix.size() - 2], ' ');  // numpy always pads at least one space
    EXPECT_EQ(static_cast<uint8_t>(prefix[8]) + 256u * static_cast<uint8_t>(prefix[9]),
              prefix.size() - 10);
  }
}

// Writes `view` and returns the data bytes after the prefix.
Bytes WrittenData(const TensorView& view) {
  TempDir dir;
  const std::string path = dir.File("o.npy");
  WriteNpy(path, view);
  const Bytes file = ReadAll(path);
  const size_t offset = NpyPrefix(view.dtype, view.shape).size();
  EXPECT_GE(file.size(), offset);
  return Bytes(file.begin() + static_cast<std::ptrdiff_t>(std::min(offset, file.size())),
               file.end());
}

Bytes AsBytes(const std::vector<double>& values) {
  Bytes bytes(values.size() * sizeof(double));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

TEST(NpyWriter, StridedViewsAreWrittenInCOrder) {
  std::vector<double> storage(24);
  std::iota(storage.begin(), storage.end(), 0.0);
  const double* base = storage.data();

  const int64_t transposed_shape[2] = {4, 6}, transposed_strides[2] = {1, 4};  // (6, 4).T
  std::vector<double> want;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) want.push_back(base[i + 4 * j]);
  EXPECT_EQ(WrittenData({base, DType::kFloat64, transposed_shape, transposed_strides}),
            AsBytes(want));

  const int64_t reversed_shape[2] = {3, 4},
                reversed_strides[2] = {-8, -2};  // [::-2, ::-2] of (6, 8)-ish
  want.clear();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) want.push_back(base[23 - 8 * i - 2 * j]);
  EXPECT_EQ(WrittenData({base + 23, DType::kFloat64, reversed_shape, reversed_strides}),
            AsBytes(want));

  const int64_t broadcast_shape[3] = {2, 3, 2}, broadcast_strides[3] = {0, 1, 0};
  want.clear();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) want.push_back(base[j]);
  EXPECT_EQ(WrittenData({base, DType::kFloat64, broadcast_shape, broadcast_strides}),
            AsBytes(want));

  EXPECT_EQ(WrittenData({base + 5, DType::kFloat64, {}, {}}), AsBytes({5.0}));

  const int64_t empty_shape[3] = {2, 0, 3}, empty_strides[3] = {7, -1, 2};
  EXPECT_EQ(WrittenData({nullptr, DType::kFloat64, empty_shape, empty_strides}), Bytes{});
}

TEST(NpyWriter, LargeStridedViewFlushesTheStagingBufferInOrder) {
  // 3 MB in a transposed layout: several staging buffers' worth.
  const int64_t rows = 700, cols = 500;
  std::vector<int64_t> storage(static_cast<size_t>(rows * cols));
  std::iota(storage.begin(), storage.end(), 0);
  const int64_t shape[2] = {cols, rows}, strides[2] = {1, cols};
  const Bytes data = WrittenData({storage.data(), DType::kInt64, shape, strides});
  ASSERT_EQ(data.size(), storage.size() * 8);
  const auto* written = reinterpret_cast<const int64_t*>(data.data());
  for (int64_t i = 0; i < cols; ++i) {
    for (int64_t j = 0; j < rows; ++j)
      ASSERT_EQ(written[i * rows + j], j * cols + i) << i << "," << j;
  }
}

TEST(NpyWriter, ReplacesAnExistingOutputOnlyOnSuccess) {
  TempDir dir;
  const float value = 1.5f;
  const TensorView scalar{&value, DType::kFloat32, {}, {}};
  const std::string path = dir.Write("out.npy", {'o', 'l', 'd'});
  WriteNpy(path, scalar);
  EXPECT_EQ(ReadNpy(path).header().shape, std::vector<int64_t>{});
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"out.npy"});

  // rename() cannot replace a non-empty folder: the write fails after the data
  // were written, and the temporary file must be gone.
  const std::string folder = dir.File("folder.npy");
  ASSERT_EQ(mkdir(folder.c_str(), 0755), 0);
  dir.Write("folder.npy/keep", {'k'});
  try {
    WriteNpy(folder, scalar);
    ADD_FAILURE() << "wrote over a folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_EQ(std::string(e.what()).rfind(folder + ": ", 0), 0u) << e.what();
  }
  std::vector<std::string> entries = dir.Entries();
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"folder.npy", "out.npy"}));
  EXPECT_EQ(testing::ReadAll(folder + "/keep"), Bytes{'k'});
}

TEST(NpyWriter, MissingFolderIsAnIoErrorNamingTheOutput) {
  TempDir dir;
  const float value = 0;
  const std::string path = dir.File("no/such/folder/out.npy");
  try {
    WriteNpy(path, TensorView{&value, DType::kFloat32, {}, {}});
    ADD_FAILURE() << "wrote into a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
  EXPECT_TRUE(dir.Entries().empty());
}

// The output may be one of the inputs: the mapped input keeps the old file's
// contents while the new file replaces its name.
TEST(NpyWriter, OverwritingAMappedInputKeepsTheInputViewValid) {
  TempDir dir;
  const std::string path = dir.Write(
      "in.npy", testing::MakeV1("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2), }",
                                Bytes{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0}));
  const NpyArray input = ReadNpy(path);
  ASSERT_TRUE(input.is_memory_mapped());
  WriteNpy(path, input.view());  // Fortran (1, 3; 2, 4) becomes C order
  const auto* old_values = static_cast<const int32_t*>(input.view().data);
  EXPECT_EQ(old_values[1], 2);
  const NpyArray rewritten = ReadNpy(path);
  EXPECT_FALSE(rewritten.header().fortran_order);
  const auto* values = static_cast<const int32_t*>(rewritten.view().data);
  EXPECT_EQ(std::vector<int32_t>(values, values + 4), (std::vector<int32_t>{1, 3, 2, 4}));
}

TEST(NpyWriter, RejectsMalformedViews) {
  TempDir dir;
  const float value = 0;
  const int64_t shape[2] = {2, -1}, strides[2] = {1, 1}, one_stride[1] = {1};
  EXPECT_THROW(WriteNpy(dir.File("a.npy"), TensorView{&value, DType::kFloat32, shape, strides}),
               Error);
  EXPECT_THROW(WriteNpy(dir.File("b.npy"), TensorView{&value, DType::kFloat32, shape, one_stride}),
               Error);
  const int64_t ok_shape[1] = {3};
  EXPECT_THROW(
      WriteNpy(dir.File("c.npy"), TensorView{nullptr, DType::kFloat32, ok_shape, one_stride}),
      Error);
  EXPECT_TRUE(dir.Entries().empty());
}

}  // namespace
}  // namespace batchdot::io
