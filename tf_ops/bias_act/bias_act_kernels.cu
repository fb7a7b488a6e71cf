// CUDA kernel of bias_act: one templated elementwise kernel per (dtype, activation, grad mode),
// sharing the element math of bias_act.h with the CPU kernel. Accumulation in float.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "bias_act.h"

namespace tfgan_fs {
namespace {

__device__ __forceinline__ float Load(const float* p) { return __ldg(p); }
__device__ __forceinline__ float Load(const __half* p) { return __half2float(*p); }
__device__ __forceinline__ void Store(float* p, float v) { *p = v; }
__device__ __forceinline__ void Store(__half* p, float v) { *p = __float2half_rn(v); }

constexpr int kBlock = 128;
constexpr int kLoop = 4;  // elements per thread

template <typename T, int A, int G>
__global__ void __launch_bounds__(kBlock) BiasActKernel(BiasActParams p) {
  const T* x = static_cast<const T*>(p.x);
  const T* b = static_cast<const T*>(p.b);
  const T* xref = static_cast<const T*>(p.xref);
  const T* yref = static_cast<const T*>(p.yref);
  const T* dy = static_cast<const T*>(p.dy);
  T* y = static_cast<T*>(p.y);
  const int size = static_cast<int>(p.size);
  const int step_b = static_cast<int>(p.step_b);
  int i = blockIdx.x * kLoop * kBlock + threadIdx.x;
#pragma unroll
  for (int loop = 0; loop < kLoop; ++loop, i += kBlock) {
    if (i >= size) return;
    const float bias = b ? Load(b + (i / step_b) % p.size_b) : 0.0f;
    const float xr = xref ? Load(xref + i) : 0.0f;
    const float yr = yref ? Load(yref + i) : 0.0f;
    const float d = dy ? Load(dy + i) : 1.0f;
    Store(y + i, BiasActElement<A, G>(Load(x + i), bias, xr, yr, d, p.alpha, p.gain, p.clamp,
                                      p.clamp_ref));
  }
}

template <typename T, int A>
void LaunchAct(const BiasActParams& p, cudaStream_t stream) {
  const int blocks = static_cast<int>((p.size + kLoop * kBlock - 1) / (kLoop * kBlock));
  if (p.grad == 0) BiasActKernel<T, A, 0><<<blocks, kBlock, 0, stream>>>(p);
  if (p.grad == 1) BiasActKernel<T, A, 1><<<blocks, kBlock, 0, stream>>>(p);
  if (p.grad == 2) BiasActKernel<T, A, 2><<<blocks, kBlock, 0, stream>>>(p);
}

template <typename T>
const char* Launch(const BiasActParams& p, cudaStream_t stream) {
  switch (p.act) {
    case kActLinear: LaunchAct<T, kActLinear>(p, stream); break;
    case kActRelu: LaunchAct<T, kActRelu>(p, stream); break;
    case kActLrelu: LaunchAct<T, kActLrelu>(p, stream); break;
    case kActTanh: LaunchAct<T, kActTanh>(p, stream); break;
    case kActSigmoid: LaunchAct<T, kActSigmoid>(p, stream); break;
    case kActElu: LaunchAct<T, kActElu>(p, stream); break;
    case kActSelu: LaunchAct<T, kActSelu>(p, stream); break;
    case kActSoftplus: LaunchAct<T, kActSoftplus>(p, stream); break;
    case kActSwish: LaunchAct<T, kActSwish>(p, stream); break;
    default: return "unknown activation";
  }
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
}

}  // namespace

const char* LaunchBiasActCuda(const BiasActParams& p, BiasActDType dtype, void* stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (dtype == BiasActDType::kHalf) return Launch<__half>(p, s);
  return Launch<float>(p, s);
}

}  // namespace tfgan_fs
