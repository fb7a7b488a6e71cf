// TensorFlow op TfganFsBiasAct: registration, shape function, CPU kernel, and the GPU OpKernel
// that hands the work to the CUDA launcher in bias_act_kernels.cu.
//
// Fused bias + activation + gain + clamp of NVlabs StyleGAN2-ADA bias_act (Karras et al. 2020,
// "Training Generative Adversarial Networks with Limited Data"), with its first (grad=1) and
// second (grad=2) derivative modes; the gradients are wired up in Python
// (tfgan_fs/ops/custom_bias_act.py). Empty tensors stand for absent optional inputs.
#if GOOGLE_CUDA
#define EIGEN_USE_GPU
#endif

#include <algorithm>
#include <string>
#include <type_traits>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"
#include "bias_act.h"

namespace tfgan_fs {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::errors::InvalidArgument;

REGISTER_OP("TfganFsBiasAct")
    .Input("x: T")
    .Input("b: T")
    .Input("xref: T")
    .Input("yref: T")
    .Input("dy: T")
    .Output("y: T")
    .Attr("T: {float, half}")
    .Attr("act: {'linear', 'relu', 'lrelu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', "
          "'swish'} = 'linear'")
    .Attr("grad: int = 0")
    .Attr("axis: int = -1")
    .Attr("alpha: float = 0.0")
    .Attr("gain: float = 1.0")
    .Attr("clamp: float = -1.0")
    .SetShapeFn([](::tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return absl::OkStatus();
    });

int ParseAct(const std::string& name) {
  static const char* const kNames[] = {"linear", "relu", "lrelu", "tanh", "sigmoid",
                                       "elu", "selu", "softplus", "swish"};
  for (int i = 0; i < 9; ++i) {
    if (name == kNames[i]) return i + 1;
  }
  return 0;
}

// Parses the attributes and validates the inputs; shared by the CPU and GPU kernels.
class BiasActOpBase : public OpKernel {
 public:
  explicit BiasActOpBase(OpKernelConstruction* ctx) : OpKernel(ctx) {
    std::string act;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("act", &act));
    attrs_.act = ParseAct(act);
    OP_REQUIRES(ctx, attrs_.act != 0, InvalidArgument("bias_act: unknown act '", act, "'"));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("grad", &attrs_.grad));
    OP_REQUIRES(ctx, attrs_.grad >= 0 && attrs_.grad <= 2,
                InvalidArgument("bias_act: grad must be 0, 1 or 2, got ", attrs_.grad));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("axis", &axis_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("alpha", &attrs_.alpha));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("gain", &attrs_.gain));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("clamp", &attrs_.clamp));
  }

 protected:
  // Fills `p` and allocates the output; on error sets the context status.
  void Prepare(OpKernelContext* ctx, BiasActParams* p, Tensor** y) {
    const Tensor& x = ctx->input(0);
    const Tensor& b = ctx->input(1);
    *p = attrs_;
    p->size = x.NumElements();
    p->size_b = 1;
    p->step_b = 1;
    if (b.NumElements() > 0) {
      const int rank = x.dims();
      const int axis = axis_ < 0 ? axis_ + rank : axis_;
      OP_REQUIRES(ctx, axis >= 0 && axis < rank,
                  InvalidArgument("bias_act: axis ", axis_, " is out of range for x of shape ",
                                  x.shape().DebugString()));
      OP_REQUIRES(ctx, b.dims() == 1 && b.dim_size(0) == x.dim_size(axis),
                  InvalidArgument("bias_act: b must be 1-D with ", x.dim_size(axis),
                                  " elements (x shape ", x.shape().DebugString(), ", axis ",
                                  axis, "), got shape ", b.shape().DebugString()));
      p->size_b = static_cast<int>(b.dim_size(0));
      for (int i = axis + 1; i < rank; ++i) p->step_b *= x.dim_size(i);
    }
    const char* names[] = {"x", "b", "xref", "yref", "dy"};
    for (int i = 2; i < 5; ++i) {
      const Tensor& t = ctx->input(i);
      OP_REQUIRES(ctx, t.NumElements() == 0 || t.shape() == x.shape(),
                  InvalidArgument("bias_act: ", names[i], " must be empty or have the shape of "
                                  "x ", x.shape().DebugString(), ", got ",
                                  t.shape().DebugString()));
    }
    OP_REQUIRES(ctx, p->size <= 0x7fffffff,
                InvalidArgument("bias_act: x has more than 2^31-1 elements: ",
                                x.shape().DebugString()));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), y));
    auto ptr = [&](int i) -> const void* {
      return ctx->input(i).NumElements() > 0 ? ctx->input(i).data() : nullptr;
    };
    p->x = x.data();
    p->b = ptr(1);
    p->xref = ptr(2);
    p->yref = ptr(3);
    p->dy = ptr(4);
    p->y = (*y)->data();
  }

  BiasActParams attrs_{};
  int axis_ = -1;
};

// Elements [lo, hi) sharing one bias value (kBiasArray false) or with the bias running
// along them (kBiasArray true: bias[i - lo]). Optional inputs are only read in grad modes.
template <typename T, int A, int G, bool kBiasArray>
void BiasActCpuRun(const BiasActParams& p, int64_t lo, int64_t hi, const T* bias,
                   float bias_value) {
  const T* __restrict x = static_cast<const T*>(p.x);
  const T* __restrict xref = static_cast<const T*>(p.xref);
  const T* __restrict yref = static_cast<const T*>(p.yref);
  const T* __restrict dy = static_cast<const T*>(p.dy);
  T* __restrict y = static_cast<T*>(p.y);
  for (int64_t i = lo; i < hi; ++i) {
    const float b = kBiasArray ? static_cast<float>(bias[i - lo]) : bias_value;
    float xr = 0.0f, yr = 0.0f, d = 1.0f;
    if (G > 0) {
      if (xref) xr = static_cast<float>(xref[i]);
      if (yref) yr = static_cast<float>(yref[i]);
      if (dy) d = static_cast<float>(dy[i]);
    }
    y[i] = static_cast<T>(BiasActElement<A, G>(static_cast<float>(x[i]), b, xr, yr, d,
                                               p.alpha, p.gain, p.clamp, p.clamp_ref));
  }
}

// Number of elements per work unit: a row of the bias when it runs along the last axis
// (contiguous, vectorisable), else one run of step_b elements sharing a bias value.
inline int64_t BiasActUnitSize(const BiasActParams& p) {
  if (p.step_b > 1) return p.step_b;
  return p.b ? p.size_b : std::min<int64_t>(p.size, 4096);
}

template <typename T, int A, int G>
void BiasActCpuRange(const BiasActParams& p, int64_t begin, int64_t end) {
  const T* b = static_cast<const T*>(p.b);
  const int64_t unit = BiasActUnitSize(p);
  for (int64_t r = begin; r < end; ++r) {
    const int64_t lo = r * unit, hi = std::min(lo + unit, p.size);
    if (p.step_b == 1 && b) {
      BiasActCpuRun<T, A, G, true>(p, lo, hi, b, 0.0f);
    } else {
      const float bias_value = b ? static_cast<float>(b[r % p.size_b]) : 0.0f;
      BiasActCpuRun<T, A, G, false>(p, lo, hi, nullptr, bias_value);
    }
  }
}

template <typename T, int A>
void BiasActCpuAct(const BiasActParams& p, int64_t begin, int64_t end) {
  if (p.grad == 0) BiasActCpuRange<T, A, 0>(p, begin, end);
  if (p.grad == 1) BiasActCpuRange<T, A, 1>(p, begin, end);
  if (p.grad == 2) BiasActCpuRange<T, A, 2>(p, begin, end);
}

template <typename T>
void BiasActCpu(const BiasActParams& p, int64_t begin, int64_t end) {
  switch (p.act) {
    case kActLinear: BiasActCpuAct<T, kActLinear>(p, begin, end); break;
    case kActRelu: BiasActCpuAct<T, kActRelu>(p, begin, end); break;
    case kActLrelu: BiasActCpuAct<T, kActLrelu>(p, begin, end); break;
    case kActTanh: BiasActCpuAct<T, kActTanh>(p, begin, end); break;
    case kActSigmoid: BiasActCpuAct<T, kActSigmoid>(p, begin, end); break;
    case kActElu: BiasActCpuAct<T, kActElu>(p, begin, end); break;
    case kActSelu: BiasActCpuAct<T, kActSelu>(p, begin, end); break;
    case kActSoftplus: BiasActCpuAct<T, kActSoftplus>(p, begin, end); break;
    case kActSwish: BiasActCpuAct<T, kActSwish>(p, begin, end); break;
  }
}

template <typename T>
class BiasActCpuOp : public BiasActOpBase {
 public:
  using BiasActOpBase::BiasActOpBase;

  void Compute(OpKernelContext* ctx) override {
    BiasActParams p;
    Tensor* y = nullptr;
    Prepare(ctx, &p, &y);
    if (!ctx->status().ok() || p.size == 0) return;
    p.clamp_ref = static_cast<float>(static_cast<T>(p.clamp));
    const int64_t unit = BiasActUnitSize(p);
    const int64_t units = (p.size + unit - 1) / unit;
    const int64_t cost = unit * (p.act >= kActTanh ? 40 : 5);
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
    ::tensorflow::Shard(workers->num_threads, workers->workers, units, cost,
                        [&p](int64_t begin, int64_t end) { BiasActCpu<T>(p, begin, end); });
  }
};

REGISTER_KERNEL_BUILDER(Name("TfganFsBiasAct").Device(DEVICE_CPU).TypeConstraint<float>("T"),
                        BiasActCpuOp<float>);
REGISTER_KERNEL_BUILDER(
    Name("TfganFsBiasAct").Device(DEVICE_CPU).TypeConstraint<Eigen::half>("T"),
    BiasActCpuOp<Eigen::half>);

#if GOOGLE_CUDA
template <typename T>
class BiasActGpuOp : public BiasActOpBase {
 public:
  using BiasActOpBase::BiasActOpBase;

  void Compute(OpKernelContext* ctx) override {
    BiasActParams p;
    Tensor* y = nullptr;
    Prepare(ctx, &p, &y);
    if (!ctx->status().ok() || p.size == 0) return;
    p.clamp_ref = static_cast<float>(static_cast<T>(p.clamp));
    const BiasActDType dtype =
        std::is_same<T, Eigen::half>::value ? BiasActDType::kHalf : BiasActDType::kFloat;
    void* stream = ctx->eigen_device<Eigen::GpuDevice>().stream();
    const char* error = LaunchBiasActCuda(p, dtype, stream);
    OP_REQUIRES(ctx, error == nullptr,
                ::tensorflow::errors::Internal("bias_act: CUDA launch failed: ", error));
  }
};

REGISTER_KERNEL_BUILDER(
    Name("TfganFsBiasAct").Device(::tensorflow::DEVICE_GPU).TypeConstraint<float>("T"),
    BiasActGpuOp<float>);
REGISTER_KERNEL_BUILDER(
    Name("TfganFsBiasAct").Device(::tensorflow::DEVICE_GPU).TypeConstraint<Eigen::half>("T"),
    BiasActGpuOp<Eigen::half>);
#endif  // GOOGLE_CUDA

}  // namespace tfgan_fs
