// bias_act: fused bias + activation + gain + clamp, and its first and second derivatives.
//
// Shared by the TensorFlow op (bias_act_op.cc, host compiler) and the CUDA kernel
// (bias_act_kernels.cu, nvcc): the element math below is the single definition used by both.
// Free of TensorFlow headers so that nvcc never parses them (reference/tfeco.md section 5).
//
// With u = x + b (forward) or u = xref + b (derivatives), a the activation, and
// m = [clamp < 0 or |yref| < clamp_ref] the clamp mask (clamp_ref = clamp rounded to the
// dtype, which is what a clamped float16 output holds):
//   grad 0:  y = clamp(gain * a(u), -clamp, clamp)
//   grad 1:  y = x * gain * a'(u) * m            (x is the incoming gradient)
//   grad 2:  y = x * dy * gain * a''(u) * m      (d/du of grad 1; dy is grad 1's input)
// a'(u) and a''(u) are computed from yy = yref / gain = a(u) where that is exact (all but
// swish), otherwise from xref, as in NVlabs StyleGAN2-ADA bias_act.
#ifndef TFGAN_FS_TF_OPS_BIAS_ACT_H_
#define TFGAN_FS_TF_OPS_BIAS_ACT_H_

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define TFGAN_FS_HD __host__ __device__ __forceinline__
#else
#define TFGAN_FS_HD inline
#endif

namespace tfgan_fs {

enum BiasActKind {
  kActLinear = 1,
  kActRelu = 2,
  kActLrelu = 3,
  kActTanh = 4,
  kActSigmoid = 5,
  kActElu = 6,
  kActSelu = 7,
  kActSoftplus = 8,
  kActSwish = 9,
};

struct BiasActParams {
  const void* x;     // [size], float or half
  const void* b;     // [size_b] or nullptr
  const void* xref;  // [size] or nullptr
  const void* yref;  // [size] or nullptr
  const void* dy;    // [size] or nullptr
  void* y;           // [size]
  int64_t size;
  int size_b;        // bias length (1 without bias)
  int64_t step_b;    // elements between consecutive bias entries (product of trailing dims)
  int act;           // BiasActKind
  int grad;          // 0, 1 or 2
  float alpha, gain, clamp;
  float clamp_ref;   // clamp rounded to the dtype: what a clamped yref holds
};

constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kSeluScale = 1.0507009873554804934193349852946f;
constexpr float kExpRange = 80.0f;  // |u| beyond which exp() would overflow in float

TFGAN_FS_HD float StableSigmoid(float u) {
  if (u < -kExpRange) return 0.0f;
  if (u > kExpRange) return 1.0f;
  return 1.0f / (1.0f + expf(-u));
}

// One element of grad mode G for activation A (see the header comment).
template <int A, int G>
TFGAN_FS_HD float BiasActElement(float x, float b, float xref, float yref, float dy,
                                 float alpha, float gain, float clamp, float clamp_ref) {
  float y = 0.0f;
  if (G == 0) {
    const float u = x + b;
    if (A == kActLinear) y = u;
    if (A == kActRelu) y = u > 0.0f ? u : 0.0f;
    if (A == kActLrelu) y = u > 0.0f ? u : u * alpha;
    if (A == kActTanh) y = tanhf(u);
    if (A == kActSigmoid) y = StableSigmoid(u);
    if (A == kActElu) y = u >= 0.0f ? u : expm1f(u);
    if (A == kActSelu) y = u >= 0.0f ? kSeluScale * u : kSeluScale * kSeluAlpha * expm1f(u);
    if (A == kActSoftplus) y = u > 20.0f ? u : log1pf(expf(u));
    if (A == kActSwish) y = u * StableSigmoid(u);
    y *= gain;
    if (clamp >= 0.0f) y = y > clamp ? clamp : (y < -clamp ? -clamp : y);
    return y;
  }
  if (clamp >= 0.0f && !(fabsf(yref) < clamp_ref)) return 0.0f;  // clamped: no gradient
  const float yy = gain != 0.0f ? yref / gain : 0.0f;           // a(u)
  const float u = xref + b;
  float d = 0.0f;  // a'(u) for G == 1, a''(u) for G == 2
  if (G == 1) {
    if (A == kActLinear) d = 1.0f;
    if (A == kActRelu) d = yy > 0.0f ? 1.0f : 0.0f;
    if (A == kActLrelu) d = yy > 0.0f ? 1.0f : alpha;
    if (A == kActTanh) d = 1.0f - yy * yy;
    if (A == kActSigmoid) d = yy * (1.0f - yy);
    if (A == kActElu) d = yy >= 0.0f ? 1.0f : yy + 1.0f;
    if (A == kActSelu) d = yy >= 0.0f ? kSeluScale : yy + kSeluScale * kSeluAlpha;
    if (A == kActSoftplus) d = -expm1f(-yy);  // sigmoid(u) = 1 - exp(-softplus(u))
    if (A == kActSwish) {
      const float s = StableSigmoid(u);
      d = s + u * s * (1.0f - s);
    }
    return x * d * gain;
  }
  // G == 2
  if (A == kActTanh) d = -2.0f * yy * (1.0f - yy * yy);
  if (A == kActSigmoid) d = yy * (1.0f - yy) * (1.0f - 2.0f * yy);
  if (A == kActElu) d = yy >= 0.0f ? 0.0f : yy + 1.0f;
  if (A == kActSelu) d = yy >= 0.0f ? 0.0f : yy + kSeluScale * kSeluAlpha;
  if (A == kActSoftplus) {
    const float c = expf(-yy);  // 1 - sigmoid(u)
    d = c * (1.0f - c);
  }
  if (A == kActSwish) {
    const float s = StableSigmoid(u);
    d = s * (1.0f - s) * (2.0f + u * (1.0f - 2.0f * s));
  }
  return x * dy * d * gain;
}

enum class BiasActDType { kFloat = 0, kHalf = 1 };

// Launches the CUDA implementation on `stream` (a cudaStream_t). Returns nullptr on success,
// otherwise a static error string.
const char* LaunchBiasActCuda(const BiasActParams& p, BiasActDType dtype, void* stream);

}  // namespace tfgan_fs

#endif  // TFGAN_FS_TF_OPS_BIAS_ACT_H_
