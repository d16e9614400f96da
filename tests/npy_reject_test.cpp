// Every malformed-file rule of the .npy reader: each file is rejected with one
// batchdot::Error of the right kind, whose one-line message names the file and
// the offending field. Truncated prefixes of valid files never crash.
#include <gtest/gtest.h>

#include <string>

#include "batchdot/error.hpp"
#include "io/npy.hpp"
#include "npy_test_util.hpp"

namespace batchdot::io {
namespace {

using testing::Bytes;
using testing::MakeNpyFile;
using testing::MakeV1;
using testing::TempDir;

constexpr const char* kName = "bad.npy";

// Asserts that reading `file` throws an Error of `kind` whose message is one
// line, starts with "bad.npy: " and contains `needle`.
void ExpectRejected(const Bytes& file, ErrorKind kind, const std::string& needle,
                    const NpyReadOptions& options = {}) {
  try {
    ReadNpyFromBytes(file, kName, options);
    ADD_FAILURE() << "accepted; expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), kind) << message;
    EXPECT_EQ(message.rfind(std::string(kName) + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
}

std::string DictWith(const std::string& descr, const std::string& fortran,
                     const std::string& shape) {
  return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

const Bytes kData6(24, 0);  // six float32 values

TEST(NpyRejects, MagicVersionAndHeaderLength) {
  Bytes file = MakeV1(testing::kFloat32Dict2x3, kData6);
  Bytes bad_magic = file;
  bad_magic[0] = '?';  // the first byte is 0x93, not '?'
  ExpectRejected(bad_magic, ErrorKind::kIo, "bad magic");
  ExpectRejected(Bytes{'P', 'K', 3, 4}, ErrorKind::kIo, "bad magic");
  ExpectRejected(Bytes{}, ErrorKind::kIo, "empty");

  for (const auto& [major, minor] : {std::pair{4, 0}, {0, 0}, {1, 1}, {2, 5}, {255, 0}}) {
    Bytes versioned = file;
    versioned[6] = static_cast<uint8_t>(major);
    versioned[7] = static_cast<uint8_t>(minor);
    ExpectRejected(versioned, ErrorKind::kIo, "unsupported .npy format version");
  }

  Bytes too_long = file;
  too_long[8] = 0xFF, too_long[9] = 0xFF;  // 65535 > what the file holds
  ExpectRejected(too_long, ErrorKind::kIo, "runs past the end of the file");

  // Version 2.0 allows 4 GiB headers; batchdot stops at 64 KiB before parsing.
  const std::string huge_dict = testing::kFloat32Dict2x3 + std::string(70000, ' ');
  ExpectRejected(MakeNpyFile(2, huge_dict, kData6), ErrorKind::kIo, "exceeds the 64 KiB limit");
  Bytes length_only = {0x93, 'N', 'U', 'M', 'P', 'Y', 3, 0, 0, 0, 0, 0x80};
  ExpectRejected(length_only, ErrorKind::kIo, "exceeds the 64 KiB limit");
}

TEST(NpyRejects, HeaderThatIsNotADict) {
  ExpectRejected(MakeV1("['descr', '<f4']", kData6), ErrorKind::kIo, "header is not a dict");
  ExpectRejected(MakeV1("42", kData6), ErrorKind::kIo, "header is not a dict");
  ExpectRejected(MakeV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", kData6),
                 ErrorKind::kIo, "not a Python dict literal");
  ExpectRejected(MakeV1("{'descr': '<f4' 'fortran_order': False}", kData6), ErrorKind::kIo,
                 "not a Python dict literal");
  ExpectRejected(MakeV1("{'descr': __import__('os'), }", kData6), ErrorKind::kIo,
                 "not a Python dict literal");
  ExpectRejected(MakeV1("{'descr': '<f4\n', }", kData6), ErrorKind::kIo,
                 "not a Python dict literal");
  ExpectRejected(MakeV1("{} {}", kData6), ErrorKind::kIo, "not a Python dict literal");
  ExpectRejected(MakeV1(std::string(100, '(') + std::string(100, ')'), kData6), ErrorKind::kIo,
                 "nesting");
  ExpectRejected(MakeV1(std::string("{'descr': '<f4'\x00}", 17), kData6), ErrorKind::kIo, "\\x00");
}

TEST(NpyRejects, MissingExtraAndRepeatedKeys) {
  ExpectRejected(MakeV1("{'descr': '<f4', 'shape': (2, 3), }", kData6), ErrorKind::kIo,
                 "missing the key 'fortran_order'");
  ExpectRejected(MakeV1("{'fortran_order': False, 'shape': (2, 3), }", kData6), ErrorKind::kIo,
                 "missing the key 'descr'");
  ExpectRejected(MakeV1("{'descr': '<f4', 'fortran_order': False, }", kData6), ErrorKind::kIo,
                 "missing the key 'shape'");
  ExpectRejected(
      MakeV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", kData6),
      ErrorKind::kIo, "unexpected key 'extra'");
  ExpectRejected(
      MakeV1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", kData6),
      ErrorKind::kIo, "repeats the key 'descr'");
  ExpectRejected(MakeV1("{1: '<f4', 'fortran_order': False, 'shape': (2, 3)}", kData6),
                 ErrorKind::kIo, "key 1 is not a string");
}

TEST(NpyRejects, FortranOrderThatIsNotABool) {
  for (const char* value : {"0", "1", "'False'", "None", "(False,)"}) {
    SCOPED_TRACE(value);
    ExpectRejected(MakeV1(DictWith("'<f4'", value, "(2, 3)"), kData6), ErrorKind::kIo,
                   "fortran_order");
  }
}

TEST(NpyRejects, ShapeThatIsNotATupleOfNonNegativeInts) {
  const struct {
    const char* shape;
    const char* needle;
  } cases[] = {
      {"[2, 3]", "is not a tuple of ints"},
      {"(2.0, 3)", "is not a tuple of ints"},
      {"(True, 3)", "is not a tuple of ints"},
      {"(2, None)", "is not a tuple of ints"},
      {"('2', 3)", "is not a tuple of ints"},
      {"6", "is not a tuple of ints"},
      {"((2, 3),)", "is not a tuple of ints"},
      {"(2, -3)", "negative dimension"},
      {"(99999999999999999999,)", "too large"},
      {"(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)", "at most 32"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.shape);
    ExpectRejected(MakeV1(DictWith("'<f4'", "False", c.shape), kData6), ErrorKind::kIo, c.needle);
  }
}

TEST(NpyRejects, SizeOverflowBeforeAnythingElse) {
  // 2^62 elements of 4 bytes: the element count fits, the byte count does not.
  ExpectRejected(MakeV1(DictWith("'<f4'", "False", "(4611686018427387904,)"), {}), ErrorKind::kIo,
                 "overflows");
  ExpectRejected(MakeV1(DictWith("'<c16'", "False", "(4294967296, 4294967296)"), {}),
                 ErrorKind::kIo, "overflows");
  // A zero dimension makes the array empty, but strides over the other
  // dimensions must still be representable.
  ExpectRejected(MakeV1(DictWith("'<f4'", "False", "(0, 4294967296, 4294967296)"), {}),
                 ErrorKind::kIo, "overflows");
}

TEST(NpyRejects, DataShorterThanTheShapeOrTrailingBytes) {
  ExpectRejected(MakeV1(testing::kFloat32Dict2x3, Bytes(20, 0)), ErrorKind::kIo,
                 "data is truncated");
  ExpectRejected(MakeV1(testing::kFloat32Dict2x3, {}), ErrorKind::kIo, "data is truncated");
  ExpectRejected(MakeV1(testing::kFloat32Dict2x3, Bytes(25, 0)), ErrorKind::kIo,
                 "1 trailing bytes");
  ExpectRejected(MakeV1(DictWith("'<f4'", "False", "()"), Bytes(8, 0)), ErrorKind::kIo,
                 "4 trailing bytes");
}

TEST(NpyRejects, DescrsThatAreNotPlainNumericArrays) {
  const struct {
    const char* descr;
    const char* needle;
  } cases[] = {
      {"'|O'", "object array"},
      {"'|S5'", "string dtype"},
      {"'<U3'", "string dtype"},
      {"'<M8[ns]'", "datetime dtype"},
      {"'<m8[s]'", "datetime dtype"},
      {"'|V8'", "void dtype"},
      {"'<V2'", "bfloat16"},
      {"'bfloat16'", "bfloat16"},
      {"[('a', '<f4')]", "structured dtype"},
      {"'<f3'", "expected '<f4' or '<f8'"},
      {"'<c4'", "expected '<c8' or '<c16'"},
      {"'<i3'", "expected '<i4' or '<i8'"},
      {"'<c8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'",
       "expected '<c8' or '<c16'"},  // found by npy_fuzz
      {"'<f999999999999'", "expected '<f4' or '<f8'"},
      {"'!f4'", "not a supported dtype"},
      {"'<'", "names no type"},
      {"''", "names no type"},
      {"'float33'", "not a valid numeric dtype"},
      {"4", "not a dtype string"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.descr);
    ExpectRejected(MakeV1(DictWith(c.descr, "False", "(2, 3)"), kData6), ErrorKind::kIo, c.needle);
  }
}

TEST(NpyRejects, ValidNumpyDTypesBatchdotDoesNotComputeWith) {
  const struct {
    const char* descr;
    const char* name;
  } cases[] = {
      {"'|b1'", "bool"},        {"'|i1'", "int8"},   {"'|u1'", "uint8"},  {"'<i2'", "int16"},
      {"'<u2'", "uint16"},      {"'>u4'", "uint32"}, {"'<u8'", "uint64"}, {"'<f16'", "float128"},
      {"'<c32'", "complex256"}, {"'bool'", "bool"},  {"'?'", "bool"},     {"'uint8'", "uint8"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.descr);
    ExpectRejected(
        MakeV1(DictWith(c.descr, "False", "(2, 3)"), Bytes(96, 0)), ErrorKind::kDType,
        std::string("dtype ") + c.name + " is not supported; supported: float32, float64");
  }
}

// Every proper prefix of a valid file is an error, never a crash or a read past
// the end (run under ASan with -DBATCHDOT_SANITIZE=ON).
TEST(NpyRejects, EveryTruncatedPrefix) {
  const Bytes files[] = {
      MakeV1(testing::kFloat32Dict2x3, kData6),
      MakeNpyFile(3, "{'descr': '>c16', 'fortran_order': True, 'shape': (3, 1), }", Bytes(48, 1)),
      MakeNpyFile(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", Bytes(8, 2),
                  /*pad=*/false),
  };
  for (const Bytes& file : files) {
    ASSERT_NO_THROW(ReadNpyFromBytes(file, kName));
    for (size_t length = 0; length < file.size(); ++length) {
      const Bytes prefix(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(length));
      EXPECT_THROW(ReadNpyFromBytes(prefix, kName), Error) << "prefix of " << length << " bytes";
    }
  }
}

TEST(NpyRejects, FilesThatCannotBeRead) {
  TempDir dir;
  const auto expect_io_error = [](const std::string& path, const std::string& needle) {
    try {
      ReadNpy(path);
      ADD_FAILURE() << path << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kIo);
      EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_io_error(dir.File("missing.npy"), "cannot open");
  expect_io_error(dir.File(""), "not a regular file");
  expect_io_error(dir.Write("empty.npy", {}), "empty");
  expect_io_error(dir.Write("text.npy", {'h', 'e', 'l', 'l', 'o', '\n'}), "bad magic");
}

}  // namespace
}  // namespace batchdot::io
