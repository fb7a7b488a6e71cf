// upfirdn2d: upsample (zero insertion), pad/crop, FIR filter, downsample; NHWC.
//
// Shared by the TensorFlow op (upfirdn2d_op.cc, host compiler) and the CUDA kernels
// (upfirdn2d_kernels.cu, nvcc). Deliberately free of TensorFlow and CUDA headers so that
// nvcc never has to parse TensorFlow's headers (reference/tfeco.md section 5).
//
// Semantics (NVlabs StyleGAN2-ADA upfirdn2d, channels last), per axis:
//   z[m] = x[(m - pad0) / up] if (m - pad0) >= 0 and divisible by up and in range, else 0
//   y[o] = gain * sum_k z[o * down + k] * g[k],  g = flip ? f : reverse(f)
// with the output size (in * up + pad0 + pad1 - taps) / down + 1.
#ifndef TFGAN_FS_TF_OPS_UPFIRDN2D_H_
#define TFGAN_FS_TF_OPS_UPFIRDN2D_H_

#include <cstdint>

namespace tfgan_fs {

struct UpFirDn2DParams {
  const void* x;   // [n, in_h, in_w, c], float or half
  const float* f;  // [filter_h, filter_w], float32 (device memory for the CUDA kernels)
  void* y;         // [n, out_h, out_w, c], same dtype as x
  int n, in_h, in_w, c;
  int out_h, out_w;
  int filter_h, filter_w;
  int up_x, up_y, down_x, down_y;
  int pad_x0, pad_x1, pad_y0, pad_y1;
  bool flip_filter;
  float gain;
};

enum class OpDType { kFloat = 0, kHalf = 1 };

// Output size along one axis.
inline int UpFirDn2DOutSize(int in, int up, int pad0, int pad1, int taps, int down) {
  return (in * up + pad0 + pad1 - taps) / down + 1;
}

// Launches the CUDA implementation on `stream` (a cudaStream_t). Returns nullptr on success,
// otherwise a static error string. `kernel_name` (optional) receives the kernel picked.
const char* LaunchUpFirDn2DCuda(const UpFirDn2DParams& p, OpDType dtype, void* stream,
                                const char** kernel_name);

}  // namespace tfgan_fs

#endif  // TFGAN_FS_TF_OPS_UPFIRDN2D_H_
