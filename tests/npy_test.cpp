// .npy reading: every supported dtype in every version, byte order and layout,
// read from hand-built files and written back, plus the harmless header variants
// the reader accepts. Malformed files: npy_reject_test.cpp; writer: npy_writer_test.cpp.
#include "io/npy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "batchdot/error.hpp"
#include "npy_test_util.hpp"

namespace batchdot::io {
namespace {

using testing::Bytes;
using testing::MakeNpyFile;
using testing::MakeV1;
using testing::ReadAll;
using testing::TempDir;

struct DTypeCase {
  DType dtype;
  const char* descr_without_order;  // e.g. "f4"
};

constexpr DTypeCase kDTypeCases[] = {
    {DType::kFloat16, "f2"},   {DType::kFloat32, "f4"},     {DType::kFloat64, "f8"},
    {DType::kComplex64, "c8"}, {DType::kComplex128, "c16"}, {DType::kInt32, "i4"},
    {DType::kInt64, "i8"},     {DType::kBFloat16, "V2"},
};

// Native bytes of logical element `n` (C-order index): distinct for every
// element and byte, so any mix-up of order, stride or swap shows.
uint8_t ElementByte(int64_t n, size_t byte) { return static_cast<uint8_t>(n * 7 + byte * 13 + 1); }

// Bytes of the (2, 3, 4) test array as a file stores them.
Bytes FileData(DType dtype, bool fortran_order, bool big_endian) {
  const int64_t dims[3] = {2, 3, 4};
  const size_t item = SizeOf(dtype);
  const bool is_complex = dtype == DType::kComplex64 || dtype == DType::kComplex128;
  const size_t word = item / (is_complex ? 2 : 1);
  Bytes data;
  for (int64_t file_pos = 0; file_pos < 24; ++file_pos) {
    // Index of the element the file stores at `file_pos`.
    int64_t i, j, k;
    if (fortran_order) {
      i = file_pos % 2, j = (file_pos / 2) % 3, k = file_pos / 6;
    } else {
      i = file_pos / 12, j = (file_pos / 4) % 3, k = file_pos % 4;
    }
    const int64_t n = (i * dims[1] + j) * dims[2] + k;
    for (size_t b = 0; b < item; ++b) {
      const size_t in_word = b % word, word_start = b - in_word;
      const size_t native_byte = big_endian ? word_start + (word - 1 - in_word) : b;
      data.push_back(ElementByte(n, native_byte));
    }
  }
  return data;
}

// Checks that view(i, j, k) holds ElementByte(n, ...) through its strides.
void ExpectLogicalContents(const TensorView& view, DType dtype) {
  ASSERT_EQ(view.rank(), 3);
  EXPECT_EQ(view.dtype, dtype);
  EXPECT_EQ(std::vector<int64_t>(view.shape.begin(), view.shape.end()),
            (std::vector<int64_t>{2, 3, 4}));
  const size_t item = SizeOf(dtype);
  const auto* base = static_cast<const uint8_t*>(view.data);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      for (int64_t k = 0; k < 4; ++k) {
        const int64_t offset =
            i * view.strides_elems[0] + j * view.strides_elems[1] + k * view.strides_elems[2];
        const int64_t n = (i * 3 + j) * 4 + k;
        for (size_t b = 0; b < item; ++b) {
          ASSERT_EQ(base[offset * static_cast<int64_t>(item) + b], ElementByte(n, b))
              << "element (" << i << ", " << j << ", " << k << ") byte " << b;
        }
      }
    }
  }
}

TEST(NpyRoundTrip, EveryDTypeVersionOrderAndLayout) {
  TempDir dir;
  NpyReadOptions options;
  options.accept_bfloat16 = true;
  int checked = 0;
  for (const DTypeCase& dtype_case : kDTypeCases) {
    for (int version = 1; version <= 3; ++version) {
      for (bool fortran : {false, true}) {
        for (const char order : {'<', '>', '|', '='}) {
          const bool big_endian = order == '>';
          const std::string dict =
              std::string("{'descr': '") + order + dtype_case.descr_without_order +
              "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (2, 3, 4), }";
          SCOPED_TRACE(dict + " version " + std::to_string(version));
          const std::string path = dir.Write(
              "in.npy",
              MakeNpyFile(version, dict, FileData(dtype_case.dtype, fortran, big_endian)));
          const NpyArray array = ReadNpy(path, options);
          EXPECT_EQ(array.header().version_major, version);
          EXPECT_EQ(array.header().fortran_order, fortran);
          EXPECT_EQ(array.is_memory_mapped(), !big_endian);
          const std::vector<int64_t> want_strides =
              fortran ? std::vector<int64_t>{1, 2, 6} : std::vector<int64_t>{12, 4, 1};
          EXPECT_EQ(std::vector<int64_t>(array.view().strides_elems.begin(),
                                         array.view().strides_elems.end()),
                    want_strides);
          ExpectLogicalContents(array.view(), dtype_case.dtype);

          // Written back: always little-endian C order, and numpy's exact prefix.
          const std::string out_path = dir.File("out.npy");
          WriteNpy(out_path, array.view());
          Bytes want = {};
          const std::string prefix = NpyPrefix(dtype_case.dtype, array.header().shape);
          want.insert(want.end(), prefix.begin(), prefix.end());
          const Bytes data =
              FileData(dtype_case.dtype, /*fortran_order=*/false, /*big_endian=*/false);
          want.insert(want.end(), data.begin(), data.end());
          EXPECT_EQ(ReadAll(out_path), want);
          ExpectLogicalContents(ReadNpy(out_path, options).view(), dtype_case.dtype);
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 8 * 3 * 2 * 4);
}

TEST(NpyRoundTrip, FromBytesCopiesAndMatchesTheFileReader) {
  const Bytes file = MakeV1("{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3, 4), }",
                            FileData(DType::kFloat64, true, true));
  NpyArray array = ReadNpyFromBytes(file, "memory.npy");
  EXPECT_FALSE(array.is_memory_mapped());
  const NpyArray moved = std::move(array);  // the view's spans live in the object
  ExpectLogicalContents(moved.view(), DType::kFloat64);
}

TEST(NpyRoundTrip, MisalignedDataIsCopiedToAnAlignedBuffer) {
  // Unpadded header of odd length: the data start at an odd offset.
  const std::string dict = "{'descr':'<f4','fortran_order':False,'shape':(2, 3,4)}";
  const Bytes file =
      MakeNpyFile(1, dict + "\n", FileData(DType::kFloat32, false, false), /*pad=*/false);
  ASSERT_NE((10 + dict.size() + 1) % 4, 0u);
  TempDir dir;
  const NpyArray array = ReadNpy(dir.Write("odd.npy", file));
  EXPECT_FALSE(array.is_memory_mapped());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(array.view().data) % 4, 0u);
  ExpectLogicalContents(array.view(), DType::kFloat32);
}

// Header variants numpy or other writers produce, all meaning (2, 3) float32
// in C order unless stated.
TEST(NpyAccepts, HarmlessHeaderVariants) {
  const Bytes data(24, 0);
  const struct {
    const char* dict;
    std::vector<int64_t> shape;
  } cases[] = {
      {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}", {2, 3}},
      {"{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", {2, 3}},
      {"{ 'descr' : '<f4' ,\n 'fortran_order' : False ,\t'shape' : ( 2 , 3 , ) , }", {2, 3}},
      {"{'descr': 'f4', 'fortran_order': False, 'shape': (2, 3), }", {2, 3}},
      {"{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3), }", {2, 3}},
      {"{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3), }", {2, 3}},
      {"{'descr': 'float32', 'fortran_order': False, 'shape': (2, 3), }", {2, 3}},
      {"{'descr': 'f', 'fortran_order': False, 'shape': (2, 3), }", {2, 3}},
      {"{'descr': u'<f4', 'fortran_order': False, 'shape': (2L, 3L), }", {2, 3}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", {6}},
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (12,), }", {12}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dict);
    const NpyArray array = ReadNpyFromBytes(MakeV1(c.dict, data), "variant.npy");
    EXPECT_EQ(array.header().shape, c.shape);
  }
  // Neither padding nor a final newline is required.
  const Bytes bare = MakeNpyFile(1, testing::kFloat32Dict2x3, data, /*pad=*/false);
  EXPECT_EQ(ReadNpyFromBytes(bare, "bare.npy").header().data_offset,
            10 + testing::kFloat32Dict2x3.size());
}

TEST(NpyAccepts, ScalarsEmptyArraysAndTrailingBytesOnRequest) {
  const NpyArray scalar = ReadNpyFromBytes(
      MakeV1("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Bytes(8, 0)), "s.npy");
  EXPECT_EQ(scalar.view().rank(), 0);
  EXPECT_EQ(scalar.header().data_bytes, 8u);

  const NpyArray empty = ReadNpyFromBytes(
      MakeV1("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 5), }", {}), "e.npy");
  EXPECT_EQ(empty.header().data_bytes, 0u);
  EXPECT_NE(empty.view().data, nullptr);

  // Zero-size dims with large neighbours stay legal as long as the rest fits.
  const NpyArray wide = ReadNpyFromBytes(
      MakeV1("{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000, 0), }", {}),
      "w.npy");
  EXPECT_EQ(wide.header().shape, (std::vector<int64_t>{1000000000000, 0}));

  NpyReadOptions allow;
  allow.allow_trailing = true;
  Bytes with_trailing = MakeV1(testing::kFloat32Dict2x3, Bytes(24, 0));
  with_trailing.push_back(0);
  EXPECT_EQ(ReadNpyFromBytes(with_trailing, "t.npy", allow).header().data_bytes, 24u);
}

TEST(NpyAccepts, BFloat16OnlyWhenRequested) {
  NpyReadOptions bf16;
  bf16.accept_bfloat16 = true;
  for (const char* descr : {"<V2", "|V2", "bfloat16"}) {
    SCOPED_TRACE(descr);
    const Bytes file =
        MakeV1(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (3,), }",
               Bytes(6, 0));
    EXPECT_EQ(ReadNpyFromBytes(file, "b.npy", bf16).header().dtype, DType::kBFloat16);
    try {
      ReadNpyFromBytes(file, "b.npy");
      ADD_FAILURE() << "accepted without the bfloat16 option";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kIo);
      EXPECT_NE(std::string(e.what()).find("bfloat16"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace batchdot::io
