// Input operands and the output array: NumPy arrays used in place, DLPack tensors
// borrowed, everything else through numpy.asarray (see operand.hpp).
#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "dlpack_result.hpp"
#include "operand.hpp"
#include "runtime/memory_overlap.hpp"
#include "core/result_memory.hpp"

namespace batchdot_py {

namespace {

using batchdot::DType;
using py::detail::npy_api;

constexpr int kNpyHalf = 23;        // NPY_HALF (pybind11 2.10 has no constant for it)
constexpr int kNpyUserDef = 256;    // NPY_USERDEF: first type number of registered dtypes

PyObject* g_numpy_integer = nullptr;  // numpy.integer, for AxesArg conversion

// Alignment the kernels assume for an element: complex types are pairs of reals.
int64_t AlignmentOf(DType dtype) {
  switch (dtype) {
    case DType::kComplex64: return 4;
    case DType::kComplex128: return 8;
    default: return static_cast<int64_t>(batchdot::SizeOf(dtype));
  }
}

bool IsNonNativeByteOrder(char byteorder) {
  if constexpr (std::endian::native == std::endian::little) return byteorder == '>';
  return byteorder == '<';
}

std::string ShapeRepr(int ndim, const int64_t* shape) {
  std::string text = "(";
  for (int i = 0; i < ndim; ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + (ndim == 1 ? ",)" : ")");
}

std::string DescrName(PyObject* descr) {
  return py::str(py::handle(descr).attr("name")).cast<std::string>();
}

// A dtype's item size. The field moved in NumPy 2's descr struct; py::dtype's
// accessor reads the right layout (pybind11 >= 2.12, which NumPy 2 needs anyway).
int64_t DescrItemSize(PyObject* descr) { return py::reinterpret_borrow<py::dtype>(descr).itemsize(); }

std::string DescrStr(PyObject* descr) { return py::str(py::handle(descr)).cast<std::string>(); }

// Sets op.dtype/supported/dtype_name from a NumPy dtype. Returns false for
// non-numeric dtypes (object, str, bytes, void, datetime).
bool ClassifyDescr(PyObject* descr, Operand& op) {
  const auto* d = py::detail::array_descriptor_proxy(descr);
  const int size = static_cast<int>(DescrItemSize(descr));
  op.supported = true;
  switch (d->kind) {
    case 'f':
      if (size == 4) { op.dtype = DType::kFloat32; return true; }
      if (size == 8) { op.dtype = DType::kFloat64; return true; }
      if (size == 2) { op.dtype = DType::kFloat16; return true; }
      break;
    case 'i':
      if (size == 4) { op.dtype = DType::kInt32; return true; }
      if (size == 8) { op.dtype = DType::kInt64; return true; }
      break;
    case 'c':
      if (size == 8) { op.dtype = DType::kComplex64; return true; }
      if (size == 16) { op.dtype = DType::kComplex128; return true; }
      break;
    case 'b':
    case 'u':
      break;
    default:
      // Registered dtypes (ml_dtypes' bfloat16, float8 types) have type numbers
      // from NPY_USERDEF on; plain void/structured, str, bytes, object and datetime
      // types are not numbers at all.
      if (d->type_num < kNpyUserDef) return false;
      if (size == 2 && DescrName(descr) == "bfloat16") {
        op.dtype = DType::kBFloat16;
        return true;
      }
      break;
  }
  op.supported = false;
  op.dtype_name = DescrName(descr);
  return true;
}

// Points `op` at a NumPy array, copying it first when the kernels could not read
// it in place (non-native byte order, misaligned, strides not whole elements).
void FromNumpy(PyObject* arr, bool converted, py::handle original, Operand& op) {
  const auto* a = py::detail::array_proxy(arr);
  if (!ClassifyDescr(a->descr, op)) {
    if (converted) {
      throw py::type_error(std::string(op.name) + " must be an array or a sequence of numbers, got " +
                           Py_TYPE(original.ptr())->tp_name);
    }
    throw py::type_error(std::string(op.name) + " has dtype " + DescrStr(a->descr) +
                         ", which is not a number type");
  }
  if (a->nd > kMaxDims) {
    throw batchdot::Error(batchdot::ErrorKind::kShape,
                          std::string(op.name) + " has " + std::to_string(a->nd) +
                              " axes; batchdot supports at most " + std::to_string(kMaxDims));
  }
  const auto* d = py::detail::array_descriptor_proxy(a->descr);
  const int64_t itemsize = DescrItemSize(a->descr);
  bool copy = IsNonNativeByteOrder(d->byteorder) ||
              (a->flags & npy_api::NPY_ARRAY_ALIGNED_) == 0;
  for (int i = 0; i < a->nd && !copy; ++i) copy = itemsize == 0 || a->strides[i] % itemsize != 0;
  if (copy) {
    // astype(<native dtype>, order='K') keeps the memory order of the axes and
    // gives aligned, whole-element strides.
    py::handle h(arr);
    py::object native = h.attr("dtype").attr("newbyteorder")("=");
    py::object copied = h.attr("astype")(native, "K");
    FromNumpy(copied.ptr(), false, original, op);
    return;
  }
  op.owner = py::reinterpret_borrow<py::object>(arr);
  op.descr = a->descr;
  op.data = a->data;
  op.ndim = a->nd;
  static_assert(sizeof(ssize_t) == sizeof(int64_t), "npy_intp must be 64-bit");
  op.shape = reinterpret_cast<const int64_t*>(a->dimensions);
  op.itemsize = itemsize;
  for (int i = 0; i < a->nd; ++i) op.strides[i] = a->strides[i] / itemsize;
}

void FromDLPack(py::handle obj, Operand& op) {
  op.dlpack.Import(obj, op.name);
  const DLTensor& t = *op.dlpack.tensor();
  if (t.ndim < 0 || t.ndim > kMaxDims) {
    throw batchdot::Error(batchdot::ErrorKind::kShape,
                          std::string(op.name) + " has " + std::to_string(t.ndim) +
                              " axes; batchdot supports at most " + std::to_string(kMaxDims));
  }
  const int code = t.dtype.code, bits = t.dtype.bits;
  op.supported = t.dtype.lanes == 1;
  if (op.supported) {
    if (code == kDLFloat && bits == 32) op.dtype = DType::kFloat32;
    else if (code == kDLFloat && bits == 64) op.dtype = DType::kFloat64;
    else if (code == kDLInt && bits == 32) op.dtype = DType::kInt32;
    else if (code == kDLInt && bits == 64) op.dtype = DType::kInt64;
    else if (code == kDLFloat && bits == 16) op.dtype = DType::kFloat16;
    else if (code == kDLBfloat && bits == 16) op.dtype = DType::kBFloat16;
    else if (code == kDLComplex && bits == 64) op.dtype = DType::kComplex64;
    else if (code == kDLComplex && bits == 128) op.dtype = DType::kComplex128;
    else op.supported = false;
  }
  if (!op.supported) {
    static const char* kCodeNames[] = {"int", "uint", "float", "opaque", "bfloat", "complex"};
    op.dtype_name = (code < 6 ? std::string(kCodeNames[code]) : "dlpack_code" + std::to_string(code)) +
                    std::to_string(bits) + (t.dtype.lanes != 1 ? "x" + std::to_string(t.dtype.lanes) : "");
  }
  op.itemsize = (static_cast<int64_t>(bits) * t.dtype.lanes + 7) / 8;
  op.data = static_cast<const char*>(t.data) + t.byte_offset;
  op.ndim = t.ndim;
  op.shape = t.shape;
  int64_t stride = 1;
  for (int i = t.ndim - 1; i >= 0; --i) {
    op.strides[i] = t.strides != nullptr ? t.strides[i] : stride;
    stride *= t.shape[i];
  }
  if (op.supported && reinterpret_cast<uintptr_t>(op.data) % AlignmentOf(op.dtype) != 0) {
    throw batchdot::Error(batchdot::ErrorKind::kShape,
                          std::string(op.name) + ": the DLPack tensor's data is not aligned to its " +
                              std::string(batchdot::Name(op.dtype)) + " elements");
  }
}

int NumpyTypeNum(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return npy_api::NPY_FLOAT_;
    case DType::kFloat64: return npy_api::NPY_DOUBLE_;
    case DType::kInt32: return npy_api::NPY_INT32_;
    case DType::kInt64: return npy_api::NPY_INT64_;
    case DType::kFloat16: return kNpyHalf;
    case DType::kComplex64: return npy_api::NPY_CFLOAT_;
    case DType::kComplex128: return npy_api::NPY_CDOUBLE_;
    case DType::kBFloat16: return -1;
  }
  return -1;
}

// A new reference to the NumPy dtype of a result of type `dtype`.
PyObject* ResultDescr(DType dtype, const Operand& x, const Operand& y) {
  const int type_num = NumpyTypeNum(dtype);
  if (type_num >= 0) {
    PyObject* descr = npy_api::get().PyArray_DescrFromType_(type_num);
    if (descr == nullptr) throw py::error_already_set();
    return descr;
  }
  // bfloat16: reuse an input's NumPy dtype (ml_dtypes), else ask ml_dtypes for it.
  for (const Operand* op : {&x, &y}) {
    if (op->descr != nullptr && op->supported && op->dtype == DType::kBFloat16) {
      Py_INCREF(op->descr);
      return op->descr;
    }
  }
  try {
    py::object bf16 = py::module_::import("ml_dtypes").attr("bfloat16");
    return py::dtype::from_args(bf16).release().ptr();
  } catch (const py::error_already_set&) {
    throw batchdot::DTypeError(
        "the result is bfloat16, which NumPy can only hold with the ml_dtypes package; "
        "install it, or convert the inputs to float32");
  }
}

void SetFromArray(PyObject* arr, Output& output) {
  const auto* a = py::detail::array_proxy(arr);
  const int64_t itemsize = DescrItemSize(a->descr);
  output.data = a->data;
  output.ndim = a->nd;
  output.shape = reinterpret_cast<const int64_t*>(a->dimensions);
  for (int i = 0; i < a->nd; ++i) output.strides[i] = a->strides[i] / itemsize;
}

// Results of 1 MiB and more live in batchdot's result memory: huge pages, and a
// recycled block when the previous result of that size has been freed, so a
// loop of same-shaped calls does not page-fault a fresh array each time.
constexpr size_t kRecycledResultBytes = size_t{1} << 20;

py::object NewArray(const batchdot::Contraction& c, const Operand& x, const Operand& y) {
  PyObject* descr = ResultDescr(c.dtype, x, y);  // stolen by NewFromDescr
  const auto& api = npy_api::get();
  double bytes = static_cast<double>(batchdot::SizeOf(c.dtype));
  for (int64_t d : c.output_shape) bytes *= static_cast<double>(d);
  void* data = nullptr;
  py::capsule owner;
  if (bytes >= kRecycledResultBytes) {
    data = batchdot::core::AllocateResultFor(c.dtype, c.output_shape, /*zeroed=*/false);
    owner = py::capsule(data, [](void* p) { batchdot::core::FreeResult(p); });
  }
  const int flags = data ? npy_api::NPY_ARRAY_C_CONTIGUOUS_ | npy_api::NPY_ARRAY_WRITEABLE_ : 0;
  PyObject* arr = api.PyArray_NewFromDescr_(
      api.PyArray_Type_, descr, static_cast<int>(c.output_shape.size()),
      reinterpret_cast<const Py_intptr_t*>(c.output_shape.data()), nullptr, data, flags, nullptr);
  if (arr == nullptr) throw py::error_already_set();
  py::object result = py::reinterpret_steal<py::object>(arr);
  if (data != nullptr && api.PyArray_SetBaseObject_(arr, owner.release().ptr()) < 0) {
    throw py::error_already_set();
  }
  return result;
}

}  // namespace

void InitConversions() {
  py::object integer = py::module_::import("numpy").attr("integer");
  g_numpy_integer = integer.release().ptr();  // kept for the life of the process
}

bool IsNumpyInteger(PyObject* obj) {
  return g_numpy_integer != nullptr && PyObject_IsInstance(obj, g_numpy_integer) == 1;
}

void ToOperand(py::handle obj, const char* name, Operand& op) {
  op.name = name;
  const auto& api = npy_api::get();
  if (api.PyArray_Check_(obj.ptr())) {
    FromNumpy(obj.ptr(), false, obj, op);
    return;
  }
  if (HasDLPack(obj)) {
    FromDLPack(obj, op);
    return;
  }
  // numpy.asarray(obj): no dtype, so nothing is converted behind the caller's back.
  PyObject* arr = api.PyArray_FromAny_(obj.ptr(), nullptr, 0, 0, npy_api::NPY_ARRAY_ENSUREARRAY_, nullptr);
  if (arr == nullptr) throw py::error_already_set();
  py::object owner = py::reinterpret_steal<py::object>(arr);
  FromNumpy(arr, true, obj, op);  // op.owner takes its own reference
}

// Element-exact: out must not reach one byte through two indices, nor share a
// byte with x or y (interleaved views that share none are fine), as in
// np.shares_memory; "may" when the exact answer needs too many steps.
void CheckOutputMemory(const void* data, int64_t itemsize, int ndim, const int64_t* dims,
                       const int64_t* byte_strides, const Operand& x, const Operand& y) {
  using batchdot::runtime::Overlap;
  const std::span<const int64_t> shape(dims, static_cast<size_t>(ndim));
  const batchdot::runtime::ByteLayout out{reinterpret_cast<uintptr_t>(data), itemsize, shape,
                                          {byte_strides, static_cast<size_t>(ndim)}};
  const Overlap self = batchdot::runtime::HasInternalOverlap(out);
  if (self != Overlap::kNo) {
    throw batchdot::Error(batchdot::ErrorKind::kShape,
                          std::string(self == Overlap::kYes ? "out's strides make some of its elements share memory"
                                                            : "out may have elements that share memory (too many "
                                                              "steps to prove otherwise)") +
                              " (shape " + ShapeRepr(ndim, dims) + ", byte strides " +
                              ShapeRepr(ndim, byte_strides) + "); pass an array that owns its elements");
  }
  for (const Operand* op : {&x, &y}) {
    int64_t op_bytes[kMaxDims];
    for (int i = 0; i < op->ndim; ++i) op_bytes[i] = op->strides[i] * op->itemsize;
    const batchdot::runtime::ByteLayout in{reinterpret_cast<uintptr_t>(op->data), op->itemsize,
                                           {op->shape, static_cast<size_t>(op->ndim)},
                                           {op_bytes, static_cast<size_t>(op->ndim)}};
    const Overlap shared = batchdot::runtime::SharesMemory(out, in);
    if (shared != Overlap::kNo) {
      throw batchdot::Error(batchdot::ErrorKind::kShape,
                            std::string(shared == Overlap::kYes ? "out overlaps " : "out may overlap ") + op->name +
                                " in memory; pass an output that shares no memory with the inputs");
    }
  }
}

void PrepareOutput(const batchdot::Contraction& c, const Operand& x, const Operand& y,
                   py::handle out, Output& output) {
  if (out.is_none()) {
    // bfloat16 without a NumPy bfloat16 dtype among the inputs (e.g. torch tensors
    // through DLPack): the result goes back the same way (dlpack_result.hpp).
    const bool numpy_bf16 = (x.descr != nullptr && x.dtype == DType::kBFloat16) ||
                            (y.descr != nullptr && y.dtype == DType::kBFloat16);
    if (c.dtype == DType::kBFloat16 && !numpy_bf16) {
      output.result = NewDLPackResult(c, output);
      return;
    }
    output.result = NewArray(c, x, y);
    SetFromArray(output.result.ptr(), output);
    return;
  }
  const auto& api = npy_api::get();
  if (!api.PyArray_Check_(out.ptr())) {
    throw py::type_error(std::string("out must be a numpy.ndarray, got ") + Py_TYPE(out.ptr())->tp_name);
  }
  const auto* a = py::detail::array_proxy(out.ptr());
  const int ndim = static_cast<int>(c.output_shape.size());
  const auto* dims = reinterpret_cast<const int64_t*>(a->dimensions);
  if (a->nd != ndim || !std::equal(dims, dims + ndim, c.output_shape.begin())) {
    throw batchdot::Error(batchdot::ErrorKind::kShape,
                          "out has shape " + ShapeRepr(a->nd, dims) + ", but the result has shape " +
                              ShapeRepr(ndim, c.output_shape.data()));
  }
  Operand probe;
  const auto* d = py::detail::array_descriptor_proxy(a->descr);
  if (!ClassifyDescr(a->descr, probe) || !probe.supported || probe.dtype != c.dtype ||
      IsNonNativeByteOrder(d->byteorder)) {
    throw batchdot::DTypeError("out has dtype " + DescrStr(a->descr) + ", but the result has dtype " +
                               std::string(batchdot::Name(c.dtype)) + " (native byte order)");
  }
  if ((a->flags & npy_api::NPY_ARRAY_WRITEABLE_) == 0) {
    throw batchdot::Error(batchdot::ErrorKind::kShape, "out is read-only");
  }
  const int64_t itemsize = DescrItemSize(a->descr);
  bool staged = (a->flags & npy_api::NPY_ARRAY_ALIGNED_) == 0;
  int64_t byte_strides[kMaxDims];
  const bool empty = std::find(dims, dims + ndim, 0) != dims + ndim;
  for (int i = 0; i < ndim; ++i) {
    if (a->strides[i] == 0 && dims[i] > 1 && !empty) {
      throw batchdot::Error(batchdot::ErrorKind::kShape,
                            "out has stride 0 on axis " + std::to_string(i) +
                                ", so its elements share memory; pass an array that owns its elements");
    }
    staged = staged || a->strides[i] % itemsize != 0;
    byte_strides[i] = a->strides[i];
  }
  CheckOutputMemory(a->data, itemsize, ndim, dims, byte_strides, x, y);
  output.result = py::reinterpret_borrow<py::object>(out);
  if (staged) {
    output.staging = NewArray(c, x, y);
    SetFromArray(output.staging.ptr(), output);
  } else {
    SetFromArray(out.ptr(), output);
  }
}

void FinishOutput(Output& output) {
  if (!output.staging) return;
  if (npy_api::get().PyArray_CopyInto_(output.result.ptr(), output.staging.ptr()) < 0) {
    throw py::error_already_set();
  }
  output.staging = py::object();
}

}  // namespace batchdot_py
