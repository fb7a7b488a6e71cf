// CUDA kernels of upfirdn2d for NHWC tensors (see upfirdn2d.h for the semantics).
//
// Organised like the reference kernels (reference/ada.md section 3.4): shared-memory tile
// kernels specialised, at compile time, for the shapes StyleGAN2 uses -- a 4x4 filter with
// 2x upsampling, 2x downsampling, or neither (pad-only FIR after a transposed/strided
// convolution) -- and a general kernel for everything else. Channels last: a block works on a
// spatial output tile times 32 consecutive channels, so each warp reads and writes 32
// contiguous values and, within a warp, every thread follows the same tap pattern.
// Accumulation is in float for float and half inputs.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "upfirdn2d.h"

namespace tfgan_fs {
namespace {

__device__ __forceinline__ float Load(const float* p) { return __ldg(p); }
__device__ __forceinline__ float Load(const __half* p) { return __half2float(*p); }
__device__ __forceinline__ void Store(float* p, float v) { *p = v; }
__device__ __forceinline__ void Store(__half* p, float v) { *p = __float2half_rn(v); }

__host__ __device__ __forceinline__ int FloorDiv(int a, int b) {
  return (a >= 0) ? a / b : -((-a + b - 1) / b);
}

// One thread per output element (channel fastest), any up/down/padding/filter size.
template <typename T>
__global__ void UpFirDn2DGeneralKernel(UpFirDn2DParams p) {
  const T* x = static_cast<const T*>(p.x);
  T* y = static_cast<T*>(p.y);
  const int total = p.n * p.out_h * p.out_w * p.c;
  for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total;
       idx += gridDim.x * blockDim.x) {
    const int ch = idx % p.c;
    int t = idx / p.c;
    const int ox = t % p.out_w;
    t /= p.out_w;
    const int oy = t % p.out_h;
    const int n = t / p.out_h;

    // Taps k with m = o * down + k - pad0 >= 0, m % up == 0 and m / up < in.
    const int my0 = oy * p.down_y - p.pad_y0;
    int ky0 = my0 < 0 ? -my0 : 0;
    ky0 += (p.up_y - (my0 + ky0) % p.up_y) % p.up_y;
    const int ky1 = min(p.filter_h, p.in_h * p.up_y - my0);
    const int mx0 = ox * p.down_x - p.pad_x0;
    int kx0 = mx0 < 0 ? -mx0 : 0;
    kx0 += (p.up_x - (mx0 + kx0) % p.up_x) % p.up_x;
    const int kx1 = min(p.filter_w, p.in_w * p.up_x - mx0);

    float acc = 0.0f;
    for (int ky = ky0; ky < ky1; ky += p.up_y) {
      const int iy = (my0 + ky) / p.up_y;
      const int fy = p.flip_filter ? ky : p.filter_h - 1 - ky;
      const T* x_row = x + ((n * p.in_h + iy) * p.in_w) * p.c + ch;
      for (int kx = kx0; kx < kx1; kx += p.up_x) {
        const int ix = (mx0 + kx) / p.up_x;
        const int fx = p.flip_filter ? kx : p.filter_w - 1 - kx;
        acc += Load(x_row + ix * p.c) * __ldg(p.f + fy * p.filter_w + fx);
      }
    }
    Store(y + idx, acc * p.gain);
  }
}

// Shared-memory tile kernel: UP x UP upsampling, DOWN x DOWN downsampling, K x K filter.
// Block = 256 threads; tile = TILE_H x TILE_W output pixels x CB channels.
template <typename T, int UP, int DOWN, int K, int TILE_W, int TILE_H, int CB>
__global__ void __launch_bounds__(256) UpFirDn2DTileKernel(UpFirDn2DParams p) {
  constexpr int kInW = ((TILE_W - 1) * DOWN + K - 1 + UP - 1) / UP + 1;
  constexpr int kInH = ((TILE_H - 1) * DOWN + K - 1 + UP - 1) / UP + 1;
  __shared__ float s_in[kInH][kInW][CB];
  __shared__ float s_f[K][K];

  const T* x = static_cast<const T*>(p.x);
  T* y = static_cast<T*>(p.y);
  const int c_blocks = (p.c + CB - 1) / CB;
  const int n = blockIdx.z / c_blocks;
  const int c0 = (blockIdx.z % c_blocks) * CB;
  const int ox0 = blockIdx.x * TILE_W;
  const int oy0 = blockIdx.y * TILE_H;

  // Correlation filter (flipped unless flip_filter) with the gain folded in.
  for (int i = threadIdx.x; i < K * K; i += blockDim.x) {
    const int ky = i / K, kx = i % K;
    const int sy = p.flip_filter ? ky : K - 1 - ky;
    const int sx = p.flip_filter ? kx : K - 1 - kx;
    s_f[ky][kx] = p.f[sy * K + sx] * p.gain;
  }

  // Input footprint of the tile, zero outside the image (this is the padding).
  const int my_base = oy0 * DOWN - p.pad_y0;
  const int mx_base = ox0 * DOWN - p.pad_x0;
  const int iy_base = FloorDiv(my_base, UP);
  const int ix_base = FloorDiv(mx_base, UP);
  for (int i = threadIdx.x; i < kInH * kInW * CB; i += blockDim.x) {
    const int cc = i % CB;
    const int t = i / CB;
    const int lx = t % kInW, ly = t / kInW;
    const int iy = iy_base + ly, ix = ix_base + lx, ch = c0 + cc;
    float v = 0.0f;
    if (iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w && ch < p.c)
      v = Load(x + ((n * p.in_h + iy) * p.in_w + ix) * p.c + ch);
    s_in[ly][lx][cc] = v;
  }
  __syncthreads();

  const int ry_off = my_base - iy_base * UP;  // in [0, UP)
  const int rx_off = mx_base - ix_base * UP;
  for (int i = threadIdx.x; i < TILE_H * TILE_W * CB; i += blockDim.x) {
    const int cc = i % CB;
    const int t = i / CB;
    const int lx = t % TILE_W, ly = t / TILE_W;
    const int oy = oy0 + ly, ox = ox0 + lx, ch = c0 + cc;
    if (oy >= p.out_h || ox >= p.out_w || ch >= p.c) continue;
    const int ry0 = ly * DOWN + ry_off;
    const int rx0 = lx * DOWN + rx_off;
    float acc = 0.0f;
#pragma unroll
    for (int ky = 0; ky < K; ++ky) {
      const int ry = ry0 + ky;
      if (UP > 1 && ry % UP != 0) continue;
#pragma unroll
      for (int kx = 0; kx < K; ++kx) {
        const int rx = rx0 + kx;
        if (UP > 1 && rx % UP != 0) continue;
        acc += s_in[ry / UP][rx / UP][cc] * s_f[ky][kx];
      }
    }
    Store(y + ((n * p.out_h + oy) * p.out_w + ox) * p.c + ch, acc);
  }
}

template <typename T, int UP, int DOWN, int K, int TILE_W, int TILE_H, int CB>
bool TryTile(const UpFirDn2DParams& p, cudaStream_t stream) {
  if (p.up_x != UP || p.up_y != UP || p.down_x != DOWN || p.down_y != DOWN ||
      p.filter_w != K || p.filter_h != K || p.c < CB / 2)
    return false;
  const dim3 grid((p.out_w + TILE_W - 1) / TILE_W, (p.out_h + TILE_H - 1) / TILE_H,
                  p.n * ((p.c + CB - 1) / CB));
  if (grid.y > 65535 || grid.z > 65535) return false;
  UpFirDn2DTileKernel<T, UP, DOWN, K, TILE_W, TILE_H, CB><<<grid, 256, 0, stream>>>(p);
  return true;
}

template <typename T>
const char* Launch(const UpFirDn2DParams& p, cudaStream_t stream, const char** kernel_name) {
  const char* name = nullptr;
  if (TryTile<T, 1, 1, 4, 16, 8, 32>(p, stream)) {
    name = "tile_fir_4x4";
  } else if (TryTile<T, 2, 1, 4, 16, 16, 32>(p, stream)) {
    name = "tile_up2_4x4";
  } else if (TryTile<T, 1, 2, 4, 8, 8, 32>(p, stream)) {
    name = "tile_down2_4x4";
  } else {
    const int total = p.n * p.out_h * p.out_w * p.c;
    const int blocks = min((total + 255) / 256, 1 << 20);
    UpFirDn2DGeneralKernel<T><<<blocks, 256, 0, stream>>>(p);
    name = "general";
  }
  if (kernel_name) *kernel_name = name;
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
}

}  // namespace

const char* LaunchUpFirDn2DCuda(const UpFirDn2DParams& p, OpDType dtype, void* stream,
                                const char** kernel_name) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (dtype == OpDType::kHalf) return Launch<__half>(p, s, kernel_name);
  return Launch<float>(p, s, kernel_name);
}

}  // namespace tfgan_fs
