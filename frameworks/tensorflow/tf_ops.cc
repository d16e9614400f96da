// TensorFlow ops on batchdot's core: BatchdotBatchDot (Keras rules, `axes`), BatchdotDotGeneral
// (dimension numbers) and their gradient ops BatchdotBatchDotGrad / BatchdotDotGeneralGrad, which
// run batchdot's own gradient contractions (batchdot.tensorflow registers them as the gradients).
//
// Compiled with TensorFlow's flags and -std only; every batchdot call goes through core_bridge.h.
// x and y may have different dtypes: the result has the dtype batchdot computes in (NumPy's
// promotion), given as the attr Tout by batchdot.tensorflow, which resolves the call first.
#include <cstdlib>
#include <vector>

#include "core_bridge.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace batchdot_tf {
namespace {

using tensorflow::DataType;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::shape_inference::DimensionHandle;
using tensorflow::shape_inference::InferenceContext;
using tensorflow::shape_inference::ShapeHandle;

#define BATCHDOT_TF_TYPES "{float, double, half, bfloat16, int32, int64, complex64, complex128}"

bool ToElementType(DataType type, ElementType* out) {
  switch (type) {
    case tensorflow::DT_FLOAT: *out = ElementType::kFloat32; return true;
    case tensorflow::DT_DOUBLE: *out = ElementType::kFloat64; return true;
    case tensorflow::DT_INT32: *out = ElementType::kInt32; return true;
    case tensorflow::DT_INT64: *out = ElementType::kInt64; return true;
    case tensorflow::DT_HALF: *out = ElementType::kFloat16; return true;  // Eigen::half: IEEE binary16 bits
    case tensorflow::DT_BFLOAT16: *out = ElementType::kBFloat16; return true;
    case tensorflow::DT_COMPLEX64: *out = ElementType::kComplex64; return true;
    case tensorflow::DT_COMPLEX128: *out = ElementType::kComplex128; return true;
    default: return false;
  }
}

absl::Status ToStatus(const Problem& problem) {
  switch (problem.kind) {
    case Problem::Kind::kNone: return absl::OkStatus();
    case Problem::Kind::kInvalidArgument: return absl::InvalidArgumentError(problem.message);
    case Problem::Kind::kMemory: return absl::ResourceExhaustedError(problem.message);
    case Problem::Kind::kInternal: return absl::InternalError(problem.message);
  }
  return absl::InternalError(problem.message);
}

// The spec from the op's attrs (works for kernels and for shape inference alike).
template <typename AttrSource>
absl::Status ReadSpec(AttrSource* source, bool dot_general, CallSpec* spec) {
  spec->dot_general = dot_general;
  if (!dot_general) return source->GetAttr("axes", &spec->axes);
  TF_RETURN_IF_ERROR(source->GetAttr("lhs_contracting", &spec->lhs_contracting));
  TF_RETURN_IF_ERROR(source->GetAttr("rhs_contracting", &spec->rhs_contracting));
  TF_RETURN_IF_ERROR(source->GetAttr("lhs_batch", &spec->lhs_batch));
  return source->GetAttr("rhs_batch", &spec->rhs_batch);
}

// Output shape from the pairing batchdot resolves for these ranks; an extent TF does not know
// stays unknown, and known paired extents must agree (Merge). Unknown rank: unknown shape.
absl::Status InferOutputShape(InferenceContext* c, bool dot_general) {
  const ShapeHandle x = c->input(0), y = c->input(1);
  if (!c->RankKnown(x) || !c->RankKnown(y)) {
    c->set_output(0, c->UnknownShape());
    return absl::OkStatus();
  }
  CallSpec spec;
  TF_RETURN_IF_ERROR(ReadSpec(c, dot_general, &spec));
  Pairing p;
  TF_RETURN_IF_ERROR(ToStatus(ResolvePairing(spec, c->Rank(x), c->Rank(y), &p)));
  std::vector<DimensionHandle> dims;
  for (size_t i = 0; i < p.lhs_batch.size(); ++i) {
    DimensionHandle merged;
    TF_RETURN_IF_ERROR(c->Merge(c->Dim(x, p.lhs_batch[i]), c->Dim(y, p.rhs_batch[i]), &merged));
    dims.push_back(merged);
  }
  for (size_t i = 0; i < p.lhs_contracting.size(); ++i) {
    DimensionHandle merged;
    TF_RETURN_IF_ERROR(c->Merge(c->Dim(x, p.lhs_contracting[i]), c->Dim(y, p.rhs_contracting[i]), &merged));
  }
  for (int64_t axis : p.lhs_free) dims.push_back(c->Dim(x, axis));
  for (int64_t axis : p.rhs_free) dims.push_back(c->Dim(y, axis));
  if (p.trailing_one) dims.push_back(c->MakeDim(1));
  c->set_output(0, c->MakeShape(dims));
  return absl::OkStatus();
}

absl::Status InferGradShapes(InferenceContext* c) {
  c->set_output(0, c->input(0));
  c->set_output(1, c->input(1));
  return absl::OkStatus();
}

// A dense row-major operand over a TF tensor's buffer, which may be unaligned (sliced or aliased
// tensors): only the raw bytes are used, never Eigen maps that CHECK alignment.
absl::Status ToOperand(const Tensor& t, const char* name, Operand* out) {
  if (!ToElementType(t.dtype(), &out->type)) {
    return absl::InvalidArgumentError(std::string(name) + " has dtype " + tensorflow::DataTypeString(t.dtype()) +
                                      ", which batchdot does not compute in");
  }
  out->data = t.tensor_data().data();
  out->shape.resize(static_cast<size_t>(t.dims()));
  for (int i = 0; i < t.dims(); ++i) out->shape[static_cast<size_t>(i)] = t.dim_size(i);
  return absl::OkStatus();
}

// Threads: batchdot runs with as many threads as TF's intra-op pool has (the pool TF's own
// matmul would use; it is idle while this op runs), unless BATCHDOT_TF_NUM_THREADS (read when
// the kernel is built) says how many: the knob the thread-sharing measurement turns.
int ThreadsFromEnvironment() {
  const char* text = std::getenv("BATCHDOT_TF_NUM_THREADS");
  const int n = text != nullptr ? std::atoi(text) : 0;
  return n > 0 ? n : 0;
}

int IntraOpThreads(OpKernelContext* ctx) {
  static const int from_environment = ThreadsFromEnvironment();  // read once: constant for the process
  if (from_environment > 0) return from_environment;
  const auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
  return workers != nullptr && workers->num_threads > 0 ? workers->num_threads : 0;
}

struct OutputAllocation {
  OpKernelContext* ctx;
  absl::Status status;
};

bool AllocateOutput(void* context, const std::vector<int64_t>& shape, ElementType type, void** data) {
  auto* a = static_cast<OutputAllocation*>(context);
  ElementType declared;
  if (!ToElementType(a->ctx->expected_output_dtype(0), &declared) || declared != type) {
    a->status = absl::InvalidArgumentError(
        "batchdot: the op's Tout attr is " + tensorflow::DataTypeString(a->ctx->expected_output_dtype(0)) +
        ", not the dtype batchdot computes this call in (call it through batchdot.tensorflow)");
    return false;
  }
  TensorShape tf_shape;
  a->status = TensorShape::BuildTensorShape(shape, &tf_shape);
  if (!a->status.ok()) return false;
  Tensor* out = nullptr;
  a->status = a->ctx->allocate_output(0, tf_shape, &out);
  if (!a->status.ok()) return false;
  *data = const_cast<char*>(out->tensor_data().data());
  return true;
}

class ForwardKernel : public OpKernel {
 public:
  ForwardKernel(OpKernelConstruction* ctx, bool dot_general) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadSpec(ctx, dot_general, &spec_));
  }

  void Compute(OpKernelContext* ctx) override {
    Operand x, y;
    OP_REQUIRES_OK(ctx, ToOperand(ctx->input(0), spec_.dot_general ? "lhs" : "x", &x));
    OP_REQUIRES_OK(ctx, ToOperand(ctx->input(1), spec_.dot_general ? "rhs" : "y", &y));
    OutputAllocation allocation{ctx, absl::OkStatus()};
    const Problem problem = Forward(spec_, x, y, &AllocateOutput, &allocation, IntraOpThreads(ctx));
    OP_REQUIRES_OK(ctx, allocation.status);
    OP_REQUIRES_OK(ctx, ToStatus(problem));
  }

 private:
  CallSpec spec_;  // fixed at construction: Compute may run concurrently
};

class GradKernel : public OpKernel {
 public:
  GradKernel(OpKernelConstruction* ctx, bool dot_general) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadSpec(ctx, dot_general, &spec_));
  }

  void Compute(OpKernelContext* ctx) override {
    Operand x, y, g;
    OP_REQUIRES_OK(ctx, ToOperand(ctx->input(0), spec_.dot_general ? "lhs" : "x", &x));
    OP_REQUIRES_OK(ctx, ToOperand(ctx->input(1), spec_.dot_general ? "rhs" : "y", &y));
    OP_REQUIRES_OK(ctx, ToOperand(ctx->input(2), "grad_out", &g));
    Tensor* gx = nullptr;
    Tensor* gy = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, ctx->input(0).shape(), &gx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, ctx->input(1).shape(), &gy));
    const MutableOperand gxo{const_cast<char*>(gx->tensor_data().data()), x.type, x.shape};
    const MutableOperand gyo{const_cast<char*>(gy->tensor_data().data()), y.type, y.shape};
    OP_REQUIRES_OK(ctx, ToStatus(Backward(spec_, x, y, g, gxo, gyo, IntraOpThreads(ctx))));
  }

 private:
  CallSpec spec_;
};

class BatchDotKernel : public ForwardKernel {
 public:
  explicit BatchDotKernel(OpKernelConstruction* ctx) : ForwardKernel(ctx, false) {}
};
class DotGeneralKernel : public ForwardKernel {
 public:
  explicit DotGeneralKernel(OpKernelConstruction* ctx) : ForwardKernel(ctx, true) {}
};
class BatchDotGradKernel : public GradKernel {
 public:
  explicit BatchDotGradKernel(OpKernelConstruction* ctx) : GradKernel(ctx, false) {}
};
class DotGeneralGradKernel : public GradKernel {
 public:
  explicit DotGeneralGradKernel(OpKernelConstruction* ctx) : GradKernel(ctx, true) {}
};

}  // namespace
}  // namespace batchdot_tf

REGISTER_OP("BatchdotBatchDot")
    .Input("x: T")
    .Input("y: U")
    .Output("out: Tout")
    .Attr("T: " BATCHDOT_TF_TYPES)
    .Attr("U: " BATCHDOT_TF_TYPES)
    .Attr("Tout: " BATCHDOT_TF_TYPES)
    .Attr("axes: list(int) = []")  // empty: None; one value: an int; two: a pair
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) { return batchdot_tf::InferOutputShape(c, false); })
    .Doc("tf.keras.backend.batch_dot's rules on batchdot's core (batchdot.tensorflow.batch_dot).");

REGISTER_OP("BatchdotDotGeneral")
    .Input("lhs: T")
    .Input("rhs: U")
    .Output("out: Tout")
    .Attr("T: " BATCHDOT_TF_TYPES)
    .Attr("U: " BATCHDOT_TF_TYPES)
    .Attr("Tout: " BATCHDOT_TF_TYPES)
    .Attr("lhs_contracting: list(int) = []")
    .Attr("rhs_contracting: list(int) = []")
    .Attr("lhs_batch: list(int) = []")
    .Attr("rhs_batch: list(int) = []")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) { return batchdot_tf::InferOutputShape(c, true); })
    .Doc("jax.lax.dot_general on batchdot's core (batchdot.tensorflow.dot_general).");

REGISTER_OP("BatchdotBatchDotGrad")
    .Input("x: T")
    .Input("y: U")
    .Input("grad_out: Tout")
    .Output("grad_x: T")
    .Output("grad_y: U")
    .Attr("T: " BATCHDOT_TF_TYPES)
    .Attr("U: " BATCHDOT_TF_TYPES)
    .Attr("Tout: " BATCHDOT_TF_TYPES)
    .Attr("axes: list(int) = []")
    .SetShapeFn(batchdot_tf::InferGradShapes);

REGISTER_OP("BatchdotDotGeneralGrad")
    .Input("lhs: T")
    .Input("rhs: U")
    .Input("grad_out: Tout")
    .Output("grad_lhs: T")
    .Output("grad_rhs: U")
    .Attr("T: " BATCHDOT_TF_TYPES)
    .Attr("U: " BATCHDOT_TF_TYPES)
    .Attr("Tout: " BATCHDOT_TF_TYPES)
    .Attr("lhs_contracting: list(int) = []")
    .Attr("rhs_contracting: list(int) = []")
    .Attr("lhs_batch: list(int) = []")
    .Attr("rhs_batch: list(int) = []")
    .SetShapeFn(batchdot_tf::InferGradShapes);

// One kernel per op for every dtype combination: the element types are read per call.
REGISTER_KERNEL_BUILDER(Name("BatchdotBatchDot").Device(tensorflow::DEVICE_CPU), batchdot_tf::BatchDotKernel);
REGISTER_KERNEL_BUILDER(Name("BatchdotDotGeneral").Device(tensorflow::DEVICE_CPU), batchdot_tf::DotGeneralKernel);
REGISTER_KERNEL_BUILDER(Name("BatchdotBatchDotGrad").Device(tensorflow::DEVICE_CPU), batchdot_tf::BatchDotGradKernel);
REGISTER_KERNEL_BUILDER(Name("BatchdotDotGeneralGrad").Device(tensorflow::DEVICE_CPU),
                        batchdot_tf::DotGeneralGradKernel);
