// TensorFlow op TfganFsUpFirDn2D: registration, shape function, CPU kernel, and the GPU
// OpKernel that hands the work to the CUDA launcher in upfirdn2d_kernels.cu.
//
// The FIR resampling of Karras et al. 2020 ("Analyzing and Improving the Image Quality of
// StyleGAN"), with the semantics of NVlabs StyleGAN2-ADA upfirdn2d, for NHWC tensors. The
// gradient (an upfirdn2d with the flipped filter, up/down swapped and recomputed padding) is
// wired up in Python (tfgan_fs/ops/custom_upfirdn2d.py) so that gradients of any order work.
#if GOOGLE_CUDA
#define EIGEN_USE_GPU
#endif

#include <algorithm>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"
#include "upfirdn2d.h"

namespace tfgan_fs {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::errors::InvalidArgument;
namespace shape_inference = ::tensorflow::shape_inference;

REGISTER_OP("TfganFsUpFirDn2D")
    .Input("x: T")
    .Input("f: float")
    .Output("y: T")
    .Attr("T: {float, half}")
    .Attr("up_x: int >= 1 = 1")
    .Attr("up_y: int >= 1 = 1")
    .Attr("down_x: int >= 1 = 1")
    .Attr("down_y: int >= 1 = 1")
    .Attr("pad_x0: int = 0")
    .Attr("pad_x1: int = 0")
    .Attr("pad_y0: int = 0")
    .Attr("pad_y1: int = 0")
    .Attr("flip_filter: bool = false")
    .Attr("gain: float = 1.0")
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      shape_inference::ShapeHandle x, f;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &x));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &f));
      int up_x, up_y, down_x, down_y, px0, px1, py0, py1;
      TF_RETURN_IF_ERROR(c->GetAttr("up_x", &up_x));
      TF_RETURN_IF_ERROR(c->GetAttr("up_y", &up_y));
      TF_RETURN_IF_ERROR(c->GetAttr("down_x", &down_x));
      TF_RETURN_IF_ERROR(c->GetAttr("down_y", &down_y));
      TF_RETURN_IF_ERROR(c->GetAttr("pad_x0", &px0));
      TF_RETURN_IF_ERROR(c->GetAttr("pad_x1", &px1));
      TF_RETURN_IF_ERROR(c->GetAttr("pad_y0", &py0));
      TF_RETURN_IF_ERROR(c->GetAttr("pad_y1", &py1));
      auto out_dim = [&](int in_axis, int f_axis, int up, int p0, int p1, int down) {
        auto in = c->Dim(x, in_axis);
        auto taps = c->Dim(f, f_axis);
        if (!c->ValueKnown(in) || !c->ValueKnown(taps)) return c->UnknownDim();
        int64_t size = UpFirDn2DOutSize(static_cast<int>(c->Value(in)), up, p0, p1,
                                        static_cast<int>(c->Value(taps)), down);
        return c->MakeDim(std::max<int64_t>(size, 0));
      };
      c->set_output(0, c->MakeShape({c->Dim(x, 0), out_dim(1, 0, up_y, py0, py1, down_y),
                                     out_dim(2, 1, up_x, px0, px1, down_x), c->Dim(x, 3)}));
      return absl::OkStatus();
    });

// Parses the attributes and validates the inputs; shared by the CPU and GPU kernels.
class UpFirDn2DOpBase : public OpKernel {
 public:
  explicit UpFirDn2DOpBase(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("up_x", &attrs_.up_x));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("up_y", &attrs_.up_y));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("down_x", &attrs_.down_x));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("down_y", &attrs_.down_y));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("pad_x0", &attrs_.pad_x0));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("pad_x1", &attrs_.pad_x1));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("pad_y0", &attrs_.pad_y0));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("pad_y1", &attrs_.pad_y1));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("flip_filter", &attrs_.flip_filter));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("gain", &attrs_.gain));
  }

 protected:
  // Fills `p` and allocates the output; on error sets the context status.
  void Prepare(OpKernelContext* ctx, UpFirDn2DParams* p, Tensor** y) {
    const Tensor& x = ctx->input(0);
    const Tensor& f = ctx->input(1);
    OP_REQUIRES(ctx, x.dims() == 4,
                InvalidArgument("upfirdn2d: x must be 4-D [N, H, W, C], got shape ",
                                x.shape().DebugString()));
    OP_REQUIRES(ctx, f.dims() == 2 && f.NumElements() > 0,
                InvalidArgument("upfirdn2d: f must be a non-empty 2-D [height, width] filter, "
                                "got shape ", f.shape().DebugString()));
    const int64_t kIntMax = 0x7fffffff;
    OP_REQUIRES(ctx, x.NumElements() <= kIntMax,
                InvalidArgument("upfirdn2d: x has more than 2^31-1 elements: ",
                                x.shape().DebugString()));
    *p = attrs_;
    p->n = static_cast<int>(x.dim_size(0));
    p->in_h = static_cast<int>(x.dim_size(1));
    p->in_w = static_cast<int>(x.dim_size(2));
    p->c = static_cast<int>(x.dim_size(3));
    p->filter_h = static_cast<int>(f.dim_size(0));
    p->filter_w = static_cast<int>(f.dim_size(1));
    p->out_h = UpFirDn2DOutSize(p->in_h, p->up_y, p->pad_y0, p->pad_y1, p->filter_h, p->down_y);
    p->out_w = UpFirDn2DOutSize(p->in_w, p->up_x, p->pad_x0, p->pad_x1, p->filter_w, p->down_x);
    OP_REQUIRES(ctx, p->out_h >= 1 && p->out_w >= 1,
                InvalidArgument("upfirdn2d: the upsampled and padded image is smaller than the "
                                "filter (input ", x.shape().DebugString(), ", filter ",
                                f.shape().DebugString(), ", output ", p->out_h, "x", p->out_w,
                                ")"));
    TensorShape out_shape({p->n, p->out_h, p->out_w, p->c});
    OP_REQUIRES(ctx, out_shape.num_elements() <= kIntMax,
                InvalidArgument("upfirdn2d: the output has more than 2^31-1 elements: ",
                                out_shape.DebugString()));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, out_shape, y));
    p->x = x.data();
    p->f = f.flat<float>().data();
    p->y = (*y)->data();
  }

  UpFirDn2DParams attrs_{};
};

// One axis: for each output position, the valid (input index, filter tap) pairs.
struct AxisTaps {
  std::vector<int> start;  // [out + 1] offsets into `index` / `tap`
  std::vector<int> index;  // input positions
  std::vector<int> tap;    // filter taps (into the correlation filter g)

  AxisTaps(int in, int out, int up, int pad0, int taps, int down) {
    start.reserve(out + 1);
    for (int o = 0; o < out; ++o) {
      start.push_back(static_cast<int>(index.size()));
      for (int k = 0; k < taps; ++k) {
        const int m = o * down + k - pad0;  // position in the upsampled image
        if (m < 0 || m % up != 0 || m / up >= in) continue;
        index.push_back(m / up);
        tap.push_back(k);
      }
    }
    start.push_back(static_cast<int>(index.size()));
  }
};

template <typename T>
class UpFirDn2DCpuOp : public UpFirDn2DOpBase {
 public:
  using UpFirDn2DOpBase::UpFirDn2DOpBase;

  void Compute(OpKernelContext* ctx) override {
    UpFirDn2DParams p;
    Tensor* y_tensor = nullptr;
    Prepare(ctx, &p, &y_tensor);
    if (!ctx->status().ok()) return;
    if (y_tensor->NumElements() == 0) return;

    // Correlation filter g with the gain folded in.
    const int fh = p.filter_h, fw = p.filter_w;
    std::vector<float> g(static_cast<size_t>(fh) * fw);
    for (int ky = 0; ky < fh; ++ky) {
      for (int kx = 0; kx < fw; ++kx) {
        const int sy = p.flip_filter ? ky : fh - 1 - ky;
        const int sx = p.flip_filter ? kx : fw - 1 - kx;
        g[ky * fw + kx] = p.f[sy * fw + sx] * p.gain;
      }
    }
    const AxisTaps ty(p.in_h, p.out_h, p.up_y, p.pad_y0, fh, p.down_y);
    const AxisTaps tx(p.in_w, p.out_w, p.up_x, p.pad_x0, fw, p.down_x);

    const T* x = static_cast<const T*>(p.x);
    T* y = static_cast<T*>(p.y);
    const int64_t c = p.c;
    const int64_t taps_x = std::max<int64_t>(1, tx.index.size() / std::max(1, p.out_w));
    const int64_t taps_y = std::max<int64_t>(1, ty.index.size() / std::max(1, p.out_h));
    const int64_t cost_per_row = p.out_w * c * taps_x * taps_y * 3 + p.out_w * c;

    // One work unit = one output row (n, oy): contiguous channels in the innermost loop.
    auto work = [&](int64_t begin, int64_t end) {
      std::vector<float> acc_buf(c);
      float* __restrict acc = acc_buf.data();
      for (int64_t row = begin; row < end; ++row) {
        const int64_t n = row / p.out_h;
        const int oy = static_cast<int>(row % p.out_h);
        T* out = y + row * p.out_w * c;
        for (int ox = 0; ox < p.out_w; ++ox) {
          std::fill(acc, acc + c, 0.0f);
          for (int i = ty.start[oy]; i < ty.start[oy + 1]; ++i) {
            const T* x_row = x + (n * p.in_h + ty.index[i]) * p.in_w * c;
            const float* g_row = g.data() + ty.tap[i] * fw;
            for (int j = tx.start[ox]; j < tx.start[ox + 1]; ++j) {
              const float w = g_row[tx.tap[j]];
              const T* __restrict src = x_row + static_cast<int64_t>(tx.index[j]) * c;
              for (int64_t ch = 0; ch < c; ++ch) acc[ch] += w * static_cast<float>(src[ch]);
            }
          }
          for (int64_t ch = 0; ch < c; ++ch) out[ox * c + ch] = static_cast<T>(acc[ch]);
        }
      }
    };
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
    ::tensorflow::Shard(workers->num_threads, workers->workers,
                        static_cast<int64_t>(p.n) * p.out_h, cost_per_row, work);
  }
};

REGISTER_KERNEL_BUILDER(
    Name("TfganFsUpFirDn2D").Device(DEVICE_CPU).TypeConstraint<float>("T"),
    UpFirDn2DCpuOp<float>);
REGISTER_KERNEL_BUILDER(
    Name("TfganFsUpFirDn2D").Device(DEVICE_CPU).TypeConstraint<Eigen::half>("T"),
    UpFirDn2DCpuOp<Eigen::half>);

#if GOOGLE_CUDA
template <typename T>
class UpFirDn2DGpuOp : public UpFirDn2DOpBase {
 public:
  using UpFirDn2DOpBase::UpFirDn2DOpBase;

  void Compute(OpKernelContext* ctx) override {
    UpFirDn2DParams p;
    Tensor* y_tensor = nullptr;
    Prepare(ctx, &p, &y_tensor);
    if (!ctx->status().ok()) return;
    if (y_tensor->NumElements() == 0) return;
    const OpDType dtype =
        std::is_same<T, Eigen::half>::value ? OpDType::kHalf : OpDType::kFloat;
    void* stream = ctx->eigen_device<Eigen::GpuDevice>().stream();
    const char* error = LaunchUpFirDn2DCuda(p, dtype, stream, nullptr);
    OP_REQUIRES(ctx, error == nullptr,
                ::tensorflow::errors::Internal("upfirdn2d: CUDA launch failed: ", error));
  }
};

REGISTER_KERNEL_BUILDER(
    Name("TfganFsUpFirDn2D").Device(::tensorflow::DEVICE_GPU).TypeConstraint<float>("T"),
    UpFirDn2DGpuOp<float>);
REGISTER_KERNEL_BUILDER(
    Name("TfganFsUpFirDn2D").Device(::tensorflow::DEVICE_GPU).TypeConstraint<Eigen::half>("T"),
    UpFirDn2DGpuOp<Eigen::half>);
#endif  // GOOGLE_CUDA

}  // namespace tfgan_fs
