// Native CPU kernels for the wasm backend's training step: convolution forward and both gradients as
// im2col + OpenBLAS sgemm (the route PyTorch's CPU build also has), training-mode batch norm, the ReLU / max-pool /
// up-sampling gradients, same-shape Add, and the heatmap-moment host reductions. Every function works in place on
// Float32Array views — in practice views into the wasm backend's heap — so no tensor is copied across the boundary.
// Shapes are validated on the JS side (src/native-addon.ts) and again here against the arrays' lengths, so a wrong
// call throws instead of reading out of bounds.
//
// With oneDNN 2.x installed the build adds -DHAVE_DNNL and the 3×3 / 7×7 convolutions (kh·kw > 1) run through its
// direct kernels instead (native/dnnl_conv.inc, included below); 1×1 convolutions stay on sgemm.
//
// Layouts: activations NHWC, filters [kh, kw, Cin, Cout], row-major.
// Build: scripts/build-native.sh (g++ -O3 -march=native, -lopenblas [-DHAVE_DNNL -fopenmp -ldnnl]), run by this
// package's install script.
#include <node_api.h>
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

struct Arr {
  float* p = nullptr;
  size_t n = 0;
};

bool getFloats(napi_env env, napi_value v, Arr* out, const char* what) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &out->n, &data, &ab, &off) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, nullptr, (std::string("tfjs-wasm-train: ") + what + " must be a Float32Array").c_str());
    return false;
  }
  out->p = static_cast<float*>(data);
  return true;
}

bool getDoubles(napi_env env, napi_value v, double** out, size_t want, const char* what) {
  napi_typedarray_type type;
  napi_value ab;
  size_t n, off;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off) != napi_ok || type != napi_float64_array || n != want) {
    napi_throw_type_error(env, nullptr, (std::string("tfjs-wasm-train: ") + what + " must be a Float64Array of " + std::to_string(want)).c_str());
    return false;
  }
  *out = static_cast<double*>(data);
  return true;
}

bool getInts(napi_env env, napi_value v, std::vector<int64_t>* out, size_t want, const char* what) {
  napi_typedarray_type type;
  napi_value ab;
  size_t n, off;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off) != napi_ok || type != napi_int32_array || n != want) {
    napi_throw_type_error(env, nullptr, (std::string("tfjs-wasm-train: ") + what + " must be an Int32Array of " + std::to_string(want)).c_str());
    return false;
  }
  const int32_t* d = static_cast<const int32_t*>(data);
  out->assign(d, d + n);
  for (int64_t x : *out) {
    if (x < 0) {
      napi_throw_range_error(env, nullptr, (std::string("tfjs-wasm-train: negative entry in ") + what).c_str());
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------------ thread pool
// A job below this many multiply-adds (or element visits) runs on the calling thread: a dispatch costs a few µs, and
// a sleeping worker's wake-up tens of µs. Settable (setThreads' second argument) so tests can force splits.
double gMinWork = 1.5e5;
// After a job, workers spin this long before sleeping (most kernels of a training step follow within tens of µs).
constexpr int kSpinMicros = 200;
// Our own threads, not OpenBLAS's: its threading gained nothing on these GEMM sizes (the im2col, col2im and batch-norm
// passes around each GEMM stayed serial), so every kernel splits its whole job — rows of output positions, samples, or
// rows of a batch-norm pass — into chunks (two per thread) and OpenBLAS runs single-threaded inside each chunk.
// Workers spin briefly after a job (the next kernel of a training step usually follows within tens of µs), then sleep.
class Pool {
 public:
  int threads() const { return threads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> run(runMutex_);
    stopWorkers();
    threads_ = std::max(1, n);
    // The generation is read here, not in the new thread: a job posted before the thread first runs must not be missed.
    const uint64_t seen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this, seen] { work(seen); });
  }

  // fn(chunk) for every chunk in [0, chunks). Chunks are handed out one at a time to whichever thread asks first, the
  // calling thread included: when a worker is descheduled (2 cores shared with the data loader and the GC), the caller
  // simply runs the remaining chunks itself instead of waiting for it. Results must depend on the chunk index only
  // (never on which thread ran it), which keeps them deterministic. Serial when another thread is already inside
  // run() (a kernel called from a second JS thread) or for a single chunk.
  template <typename F>
  void run(int chunks, F&& fn) {
    std::unique_lock<std::mutex> run(runMutex_, std::try_to_lock);
    if (chunks <= 1 || !run.owns_lock() || threads_ <= 1) {
      for (int c = 0; c < chunks; c++) fn(c);
      return;
    }
    job_ = [&fn](int c) { fn(c); };
    chunks_ = chunks;
    done_.store(0, std::memory_order_relaxed);
    const uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
    ticket_.store(gen << 32, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(m_);
      generation_.store(gen, std::memory_order_release);
    }
    cv_.notify_all();
    runChunks(gen);
    for (int spins = 0; done_.load(std::memory_order_acquire) != chunks; spins++) {
      if (spins < 2000) spinPause();
      else std::this_thread::yield();  // a chunk is still running on a worker that may have lost its core
    }
  }

 private:
  static void spinPause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  // Take chunks of job `gen` until none is left. The ticket packs (generation << 32 | next chunk): a thread that
  // arrives after its job ended fails the generation check and takes nothing from the next job by mistake. job_ and
  // chunks_ are stable while a chunk is held: run() cannot return (and post another job) before every chunk is done.
  void runChunks(uint64_t gen) {
    for (;;) {
      uint64_t t = ticket_.load(std::memory_order_acquire);
      for (;;) {
        if ((t >> 32) != gen || int(t & 0xffffffffu) >= chunks_) return;
        if (ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) break;
      }
      job_(int(t & 0xffffffffu));
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void work(uint64_t seen) {
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
      while (generation_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 32; i++) spinPause();
        if (std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> lk(m_);
          cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen || stop_.load(); });
        }
      }
      if (stop_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      runChunks(seen);
    }
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_.store(false);
  }

  int threads_ = 1;
  int chunks_ = 0;
  std::function<void(int)> job_;
  std::vector<std::thread> workers_;
  std::mutex runMutex_, m_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
};

// Never destroyed: its threads must not be joined by static destructors at process exit (they die with the process).
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

// How many chunks a job of `work` multiply-adds (or element visits) is worth splitting into: a dispatch costs a few
// µs. Two per thread, so a thread that loses its core for a while leaves chunks to the others.
int partsFor(double work, int64_t maxParts) {
  const int t = pool().threads();
  if (t <= 1 || work < gMinWork) return 1;
  return int(std::max<int64_t>(1, std::min<int64_t>(2 * t, maxParts)));
}

// [begin, end) of part p when `total` items are split into `parts` near-equal ranges.
inline int64_t splitAt(int64_t total, int parts, int p) { return total * p / parts; }

bool need(napi_env env, const Arr& a, size_t n, const char* what) {
  if (a.n < n) {
    napi_throw_range_error(env, nullptr, (std::string("tfjs-wasm-train: ") + what + " has " + std::to_string(a.n) +
                                          " values, the shape needs " + std::to_string(n)).c_str());
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------------ convolution

struct Conv {
  int64_t B, H, W, Cin, kh, kw, Cout, sh, sw, dh, dw, pt, pl, oh, ow;
  int64_t K() const { return kh * kw * Cin; }
  int64_t M() const { return B * oh * ow; }
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == H && ow == W; }
};

// Exactly `want` arguments, else a TypeError naming the function (a wrong count must not return silently: the
// caller's output would keep whatever the wasm heap held).
bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv, const char* fn) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != want) {
    napi_throw_type_error(env, nullptr, (std::string("tfjs-wasm-train: ") + fn + " takes " + std::to_string(want) + " arguments, got " +
                                         std::to_string(argc)).c_str());
    return false;
  }
  return true;
}

// *out = the product of xs, or a RangeError when it overflows int64 (dims come from JS and are checked before use).
bool product(napi_env env, std::initializer_list<int64_t> xs, int64_t* out, const char* what) {
  int64_t p = 1;
  for (int64_t x : xs) {
    if (__builtin_mul_overflow(p, x, &p)) {
      napi_throw_range_error(env, nullptr, (std::string("tfjs-wasm-train: ") + what + " is too large").c_str());
      return false;
    }
  }
  *out = p;
  return true;
}

bool getConv(napi_env env, napi_value v, Conv* c) {
  std::vector<int64_t> d;
  if (!getInts(env, v, &d, 15, "conv dims")) return false;
  *c = Conv{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  if (c->sh < 1 || c->sw < 1 || c->dh < 1 || c->dw < 1) {
    napi_throw_range_error(env, nullptr, "tfjs-wasm-train: strides and dilations must be >= 1");
    return false;
  }
  return true;
}

// Rows of output positions per im2col chunk: bounded scratch (~16 MB) whatever the layer size.
constexpr int64_t kScratchFloats = int64_t(1) << 22;

int64_t chunkRows(const Conv& c) { return std::max<int64_t>(1, std::min<int64_t>(c.M(), kScratchFloats / std::max<int64_t>(1, c.K()))); }

std::vector<float>& scratch(size_t n) {
  static thread_local std::vector<float> s;
  if (s.size() < n) s.resize(n);
  return s;
}

// col[m - m0, (r, c, ci)] = x[b, oy·sh − pt + r·dh, ox·sw − pl + c·dw, ci] (0 outside).
void im2col(const Conv& c, const float* x, int64_t m0, int64_t rows, float* col) {
  const int64_t K = c.K();
  for (int64_t i = 0; i < rows; i++) {
    const int64_t m = m0 + i;
    const int64_t b = m / (c.oh * c.ow);
    const int64_t oy = (m / c.ow) % c.oh;
    const int64_t ox = m % c.ow;
    float* dst = col + i * K;
    for (int64_t r = 0; r < c.kh; r++) {
      const int64_t iy = oy * c.sh - c.pt + r * c.dh;
      for (int64_t q = 0; q < c.kw; q++, dst += c.Cin) {
        const int64_t ix = ox * c.sw - c.pl + q * c.dw;
        if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) std::memset(dst, 0, sizeof(float) * c.Cin);
        else std::memcpy(dst, x + ((b * c.H + iy) * c.W + ix) * c.Cin, sizeof(float) * c.Cin);
      }
    }
  }
}

// dx[b, iy, ix, ci] += dcol[m - m0, (r, c, ci)] (the adjoint of im2col).
void col2imAdd(const Conv& c, const float* dcol, int64_t m0, int64_t rows, float* dx) {
  const int64_t K = c.K();
  for (int64_t i = 0; i < rows; i++) {
    const int64_t m = m0 + i;
    const int64_t b = m / (c.oh * c.ow);
    const int64_t oy = (m / c.ow) % c.oh;
    const int64_t ox = m % c.ow;
    const float* src = dcol + i * K;
    for (int64_t r = 0; r < c.kh; r++) {
      const int64_t iy = oy * c.sh - c.pt + r * c.dh;
      for (int64_t q = 0; q < c.kw; q++, src += c.Cin) {
        const int64_t ix = ox * c.sw - c.pl + q * c.dw;
        if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
        float* d = dx + ((b * c.H + iy) * c.W + ix) * c.Cin;
        for (int64_t ci = 0; ci < c.Cin; ci++) d[ci] += src[ci];
      }
    }
  }
}

// fn(m0, rows, col) over chunks of the output positions [mBegin, mEnd), col = im2col(x) of those rows (bounded
// scratch, one per thread).
template <typename F>
void im2colChunks(const Conv& c, const float* x, int64_t mBegin, int64_t mEnd, F fn) {
  const int64_t rows = chunkRows(c);
  float* col = scratch(rows * c.K()).data();
  for (int64_t m0 = mBegin; m0 < mEnd; m0 += rows) {
    const int64_t n = std::min(rows, mEnd - m0);
    im2col(c, x, m0, n, col);
    fn(m0, n, col);
  }
}

double convWork(const Conv& c) { return double(c.M()) * double(c.K()) * double(c.Cout); }

// Calls per engine and op (convCounters): which path really ran, for tests and benchmarks.
enum ConvEngine { kBlas = 0, kDnnl = 1 };
enum ConvOp { kOpForward = 0, kOpBackwardData = 1, kOpBackwardWeights = 2 };
std::atomic<uint64_t> gConvCalls[2][3];
inline void countConv(ConvEngine e, ConvOp op) { gConvCalls[e][op].fetch_add(1, std::memory_order_relaxed); }

}  // namespace

#ifdef HAVE_DNNL
#include "dnnl_conv.inc"
#endif

namespace {

// The arguments every conv function takes: three Float32Arrays and the packed dims, each array checked against the
// size its role needs (the activation input [B,H,W,Cin], the filter [K,Cout], or output-shaped [M,Cout]).
enum Role { kInput, kFilter, kOutputShaped };

bool convCall(napi_env env, napi_callback_info info, const char* const names[3], const Role roles[3], Arr arr[3], Conv* c, size_t nargs = 4) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != nargs) {
    napi_throw_type_error(env, nullptr, "tfjs-wasm-train: conv functions take (a, b, out, dims)");
    return false;
  }
  for (int i = 0; i < 3; i++) if (!getFloats(env, argv[i], &arr[i], names[i])) return false;
  if (!getConv(env, argv[3], c)) return false;
  for (int i = 0; i < 3; i++) {
    const int64_t want = roles[i] == kInput ? c->B * c->H * c->W * c->Cin : roles[i] == kFilter ? c->K() * c->Cout : c->M() * c->Cout;
    if (!need(env, arr[i], want, names[i])) return false;
  }
  return true;
}

// y = conv(x, filter) [+ bias per output channel] [+ res, same shape as y]: on sgemm the rows start as bias (+ res)
// and the GEMM accumulates onto them; oneDNN's result gets res added in place (a residual connection's sum).
void convForward(const Conv& c, const float* x, const float* f, const float* bias, float* y, const float* res = nullptr) {
#ifdef HAVE_DNNL
  if (dnnlconv::run(bias == nullptr ? dnnlconv::kFwd : dnnlconv::kFwdBias, c, x, f, nullptr, bias, y)) {
    countConv(kDnnl, kOpForward);
    if (res != nullptr) {
      const int64_t Cout = c.Cout;
      const int parts = partsFor(double(c.M()) * double(Cout), c.M());
      pool().run(parts, [&](int p) {
        const int64_t j1 = splitAt(c.M(), parts, p + 1) * Cout;
        for (int64_t j = splitAt(c.M(), parts, p) * Cout; j < j1; j++) y[j] += res[j];
      });
    }
    return;
  }
#endif
  countConv(kBlas, kOpForward);
  if (c.M() == 0 || c.Cout == 0) return;
  const int64_t Cout = c.Cout;
  auto fillRows = [&](int64_t r0, int64_t n) {
    float* out = y + r0 * Cout;
    if (res != nullptr) {
      const float* rp = res + r0 * Cout;
      if (bias == nullptr) std::memcpy(out, rp, sizeof(float) * n * Cout);
      else
        for (int64_t i = 0; i < n; i++)
          for (int64_t k = 0; k < Cout; k++) out[i * Cout + k] = rp[i * Cout + k] + bias[k];
      return;
    }
    if (bias == nullptr) return;
    for (int64_t i = 0; i < n; i++) std::memcpy(out + i * Cout, bias, sizeof(float) * Cout);
  };
  const float beta = bias == nullptr && res == nullptr ? 0.f : 1.f;
  if (c.K() == 0) {
    if (bias == nullptr && res == nullptr) std::memset(y, 0, sizeof(float) * c.M() * Cout);
    else fillRows(0, c.M());
    return;
  }
  // Rows of output positions are independent: one range per chunk.
  const int parts = partsFor(convWork(c), c.M());
  pool().run(parts, [&](int p) {
    const int64_t m0 = splitAt(c.M(), parts, p), m1 = splitAt(c.M(), parts, p + 1);
    if (m1 <= m0) return;
    if (c.pointwise()) {
      fillRows(m0, m1 - m0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m1 - m0, Cout, c.K(), 1.f, x + m0 * c.K(), c.K(), f, Cout, beta, y + m0 * Cout, Cout);
      return;
    }
    im2colChunks(c, x, m0, m1, [&](int64_t r0, int64_t n, const float* col) {
      fillRows(r0, n);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, Cout, c.K(), 1.f, col, c.K(), f, Cout, beta, y + r0 * Cout, Cout);
    });
  });
}

napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"x", "filter", "y"};
  static const Role roles[3] = {kInput, kFilter, kOutputShaped};
  Conv c;
  Arr a[3];
  if (!convCall(env, info, names, roles, a, &c)) return nullptr;
  convForward(c, a[0].p, a[1].p, nullptr, a[2].p);
  return nullptr;
}

// conv2dBiasForward(x, filter, y, dims, bias [Cout])
napi_value Conv2dBiasForward(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"x", "filter", "y"};
  static const Role roles[3] = {kInput, kFilter, kOutputShaped};
  Conv c;
  Arr a[3], bias;
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) {
    napi_throw_type_error(env, nullptr, "tfjs-wasm-train: conv2dBiasForward takes (x, filter, y, dims, bias)");
    return nullptr;
  }
  if (!convCall(env, info, names, roles, a, &c, 5) || !getFloats(env, argv[4], &bias, "bias") || !need(env, bias, c.Cout, "bias")) return nullptr;
  convForward(c, a[0].p, a[1].p, bias.p, a[2].p);
  return nullptr;
}

// conv2dBiasAddForward(x, filter, y, dims, bias [Cout], res [like y]): y = conv + bias + res (a residual block's end).
napi_value Conv2dBiasAddForward(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"x", "filter", "y"};
  static const Role roles[3] = {kInput, kFilter, kOutputShaped};
  Conv c;
  Arr a[3], bias, res;
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 6) {
    napi_throw_type_error(env, nullptr, "tfjs-wasm-train: conv2dBiasAddForward takes (x, filter, y, dims, bias, residual)");
    return nullptr;
  }
  if (!convCall(env, info, names, roles, a, &c, 6) || !getFloats(env, argv[4], &bias, "bias") || !need(env, bias, c.Cout, "bias") ||
      !getFloats(env, argv[5], &res, "residual") || !need(env, res, c.M() * c.Cout, "residual"))
    return nullptr;
  if (res.p == a[2].p) {
    napi_throw_range_error(env, nullptr, "tfjs-wasm-train: conv2dBiasAddForward: residual must not be the output");
    return nullptr;
  }
  convForward(c, a[0].p, a[1].p, bias.p, a[2].p, res.p);
  return nullptr;
}

// columnSums(dy, out, rows, C): out[c] = Σ_rows dy[r, c] (a bias gradient), float accumulators over blocks of rows,
// double across blocks (the batch-norm sums' scheme).
napi_value ColumnSums(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv, "columnSums")) return nullptr;
  Arr dy, out;
  int64_t rows, C;
  if (!getFloats(env, argv[0], &dy, "dy") || !getFloats(env, argv[1], &out, "out") ||
      napi_get_value_int64(env, argv[2], &rows) != napi_ok || napi_get_value_int64(env, argv[3], &C) != napi_ok || rows < 0 || C < 0) {
    napi_throw_type_error(env, nullptr, "tfjs-wasm-train: columnSums takes (dy, out, rows >= 0, C >= 0)");
    return nullptr;
  }
  if (!need(env, dy, rows * C, "dy") || !need(env, out, C, "out")) return nullptr;
  std::vector<double> s(C, 0.0);
  std::vector<float> f(C);
  constexpr int64_t kBlock = 128;
  for (int64_t p0 = 0; p0 < rows; p0 += kBlock) {
    std::fill(f.begin(), f.end(), 0.f);
    const int64_t p1 = std::min(rows, p0 + kBlock);
    for (int64_t p = p0; p < p1; p++) {
      const float* d = dy.p + p * C;
      for (int64_t c = 0; c < C; c++) f[c] += d[c];
    }
    for (int64_t c = 0; c < C; c++) s[c] += f[c];
  }
  for (int64_t c = 0; c < C; c++) out.p[c] = float(s[c]);
  return nullptr;
}

// (u, v, out, n): out[i] = op(u[i], v[i]) over n floats, split across threads.
template <typename Op>
napi_value elementwise2(napi_env env, napi_callback_info info, const char* fn, const char* const names[3], Op op) {
  napi_value argv[4];
  if (!args(env, info, 4, argv, fn)) return nullptr;
  Arr u, v, out;
  int64_t n;
  if (!getFloats(env, argv[0], &u, names[0]) || !getFloats(env, argv[1], &v, names[1]) || !getFloats(env, argv[2], &out, names[2]) ||
      napi_get_value_int64(env, argv[3], &n) != napi_ok || n < 0) {
    napi_throw_type_error(env, nullptr, (std::string("tfjs-wasm-train: ") + fn + " takes (" + names[0] + ", " + names[1] + ", " + names[2] +
                                         ", n >= 0)").c_str());
    return nullptr;
  }
  if (!need(env, u, n, names[0]) || !need(env, v, n, names[1]) || !need(env, out, n, names[2])) return nullptr;
  const int parts = partsFor(double(n), n);
  pool().run(parts, [&](int p) {
    const int64_t i1 = splitAt(n, parts, p + 1);
    const float* up = u.p;
    const float* vp = v.p;
    float* op_ = out.p;
    for (int64_t i = splitAt(n, parts, p); i < i1; i++) op_[i] = op(up[i], vp[i]);
  });
  return nullptr;
}

// reluGrad(dy, x, out, n): out = dy where x > 0, else 0 (the ReLU's gradient in one pass).
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"dy", "x", "out"};
  return elementwise2(env, info, "reluGrad", names, [](float d, float x) { return d * float(x > 0.f); });
}

// addSame(a, b, out, n): out = a + b for same-shaped float32 tensors (residual sums, gradient accumulation). Each
// element is one float addition either way: the same bits as wasm's Add.
napi_value AddSame(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"a", "b", "out"};
  return elementwise2(env, info, "addSame", names, [](float a, float b) { return a + b; });
}

// maxPoolGrad(dy, x, dx, dims Int32Array[12] = B,H,W,C,OH,OW,fh,fw,sh,sw,padTop,padLeft): each window's gradient goes
// to its first (row-major) strictly largest in-bounds input, per channel; a window of only −∞/NaN passes none (the cpu
// backend's rule, src/kernels/max-pool-grad.ts). Channels are the inner loop: the window scan compares C
// contiguous values at a time. Windows may overlap, so chunks are whole samples (disjoint parts of dx).
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv, "maxPoolGrad")) return nullptr;
  Arr dy, x, dx;
  std::vector<int64_t> d;
  if (!getFloats(env, argv[0], &dy, "dy") || !getFloats(env, argv[1], &x, "x") || !getFloats(env, argv[2], &dx, "dx") ||
      !getInts(env, argv[3], &d, 12, "maxPoolGrad dims"))
    return nullptr;
  const int64_t B = d[0], H = d[1], W = d[2], C = d[3], OH = d[4], OW = d[5], fh = d[6], fw = d[7], sh = d[8], sw = d[9], pt = d[10], pl = d[11];
  int64_t nDy, nX, perSample;
  if (!product(env, {B, OH, OW, C}, &nDy, "maxPoolGrad dy") || !product(env, {B, H, W, C}, &nX, "maxPoolGrad x") ||
      !product(env, {H, W, C}, &perSample, "maxPoolGrad sample"))
    return nullptr;
  if (!need(env, dy, nDy, "dy") || !need(env, x, nX, "x") || !need(env, dx, nX, "dx")) return nullptr;
  if (perSample > INT32_MAX) {
    napi_throw_range_error(env, nullptr, "tfjs-wasm-train: maxPoolGrad needs H·W·C < 2^31 per sample");
    return nullptr;
  }
  const int parts = partsFor(double(B) * OH * OW * fh * fw * C, B);
  pool().run(parts, [&](int part) {
    // Branch-free scan (selects, vectorised): on real activations "is this larger?" is a coin flip, and as a branch
    // it cost 2x the whole kernel (9.3 vs ~4 ms on [8,64,64,64] single-threaded).
    std::vector<float> best(C);
    std::vector<int32_t> at(C);  // sample-local offset of the window's chosen pixel, −1: none
    const int64_t b1 = splitAt(B, parts, part + 1);
    for (int64_t b = splitAt(B, parts, part); b < b1; b++) {
      const float* xb = x.p + b * H * W * C;
      float* gb = dx.p + b * H * W * C;
      std::fill(gb, gb + H * W * C, 0.f);
      for (int64_t oy = 0; oy < OH; oy++) {
        const int64_t y0 = oy * sh - pt, ys = std::max<int64_t>(0, y0), ye = std::min(H, y0 + fh);
        for (int64_t ox = 0; ox < OW; ox++) {
          const int64_t x0 = ox * sw - pl, xs = std::max<int64_t>(0, x0), xe = std::min(W, x0 + fw);
          float* bp = best.data();
          int32_t* ap = at.data();
          for (int64_t c = 0; c < C; c++) {
            bp[c] = -INFINITY;
            ap[c] = -1;
          }
          for (int64_t y = ys; y < ye; y++) {
            for (int64_t xx = xs; xx < xe; xx++) {
              const int32_t off = int32_t((y * W + xx) * C);
              const float* v = xb + off;
              for (int64_t c = 0; c < C; c++) {
                const bool gt = v[c] > bp[c];
                bp[c] = gt ? v[c] : bp[c];
                ap[c] = gt ? off : ap[c];
              }
            }
          }
          const float* g = dy.p + ((b * OH + oy) * OW + ox) * C;
          for (int64_t c = 0; c < C; c++)
            if (ap[c] >= 0) gb[ap[c] + c] += g[c];
        }
      }
    }
  });
  return nullptr;
}

// maxPoolForward(x, y, dims Int32Array[12] = B,H,W,C,OH,OW,fh,fw,sh,sw,padTop,padLeft): each output is the largest
// in-bounds input of its window, per channel, a value taken only when strictly larger (the cpu backend's rule: NaN is
// passed over, a window of only NaN/−∞ gives −∞). Channels are the inner loop (C contiguous compares, branch-free);
// output rows are split across threads (disjoint parts of y).
napi_value MaxPoolForward(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv, "maxPoolForward")) return nullptr;
  Arr x, y;
  std::vector<int64_t> d;
  if (!getFloats(env, argv[0], &x, "x") || !getFloats(env, argv[1], &y, "y") || !getInts(env, argv[2], &d, 12, "maxPoolForward dims"))
    return nullptr;
  const int64_t B = d[0], H = d[1], W = d[2], C = d[3], OH = d[4], OW = d[5], fh = d[6], fw = d[7], sh = d[8], sw = d[9], pt = d[10], pl = d[11];
  int64_t nY, nX;
  if (!product(env, {B, OH, OW, C}, &nY, "maxPoolForward y") || !product(env, {B, H, W, C}, &nX, "maxPoolForward x")) return nullptr;
  if (!need(env, x, nX, "x") || !need(env, y, nY, "y")) return nullptr;
  const int64_t rows = B * OH;
  const int parts = partsFor(double(nY) * fh * fw, rows);
  pool().run(parts, [&](int part) {
    const int64_t r1 = splitAt(rows, parts, part + 1);
    for (int64_t r = splitAt(rows, parts, part); r < r1; r++) {
      const int64_t b = r / OH, oy = r % OH;
      const float* xb = x.p + b * H * W * C;
      const int64_t y0 = oy * sh - pt, ys = std::max<int64_t>(0, y0), ye = std::min(H, y0 + fh);
      for (int64_t ox = 0; ox < OW; ox++) {
        const int64_t x0 = ox * sw - pl, xs = std::max<int64_t>(0, x0), xe = std::min(W, x0 + fw);
        float* out = y.p + (r * OW + ox) * C;
        for (int64_t c = 0; c < C; c++) out[c] = -INFINITY;
        for (int64_t yy = ys; yy < ye; yy++) {
          for (int64_t xx = xs; xx < xe; xx++) {
            const float* v = xb + (yy * W + xx) * C;
            for (int64_t c = 0; c < C; c++) out[c] = v[c] > out[c] ? v[c] : out[c];
          }
        }
      }
    }
  });
  return nullptr;
}

// upsampleGrad(dy, dx, dims Int32Array[5] = B,H,W,C,k): the gradient of k×k nearest-neighbour up-sampling where
// output (i, j) reads input (⌊i/k⌋, ⌊j/k⌋) (wasm's forward does for power-of-two k, upsample-grad.ts):
// dx[b,y,x,c] = Σ over the k×k block of dy, added in row-major order of the block (float accumulator). Split by rows
// of dx across threads.
// The arguments of both up-sampling kernels: the up-sampled [B,H·k,W·k,C] array `big`, the [B,H,W,C] array `small`
// (in the order the kernel takes them) and dims Int32Array[5] = B,H,W,C,k, checked against each other.
struct UpsampleArgs {
  Arr big, small;
  int64_t B, H, W, C, k, OW;
};
bool upsampleArgs(napi_env env, napi_callback_info info, const char* fn, bool bigFirst, const char* bigName, const char* smallName,
                  UpsampleArgs* u) {
  napi_value argv[3];
  if (!args(env, info, 3, argv, fn)) return false;
  std::vector<int64_t> d;
  const std::string f(fn);
  // Checked in argument order, so a bad first argument is the one reported.
  Arr* first = bigFirst ? &u->big : &u->small;
  Arr* second = bigFirst ? &u->small : &u->big;
  if (!getFloats(env, argv[0], first, bigFirst ? bigName : smallName) || !getFloats(env, argv[1], second, bigFirst ? smallName : bigName) ||
      !getInts(env, argv[2], &d, 5, (f + " dims").c_str()))
    return false;
  u->B = d[0], u->H = d[1], u->W = d[2], u->C = d[3], u->k = d[4];
  if (u->k < 1) {
    napi_throw_range_error(env, nullptr, ("tfjs-wasm-train: " + f + " needs a factor k >= 1").c_str());
    return false;
  }
  int64_t nBig, nSmall;
  if (!product(env, {u->W, u->k}, &u->OW, (f + " width").c_str()) ||
      !product(env, {u->B, u->H, u->k, u->OW, u->C}, &nBig, (f + " " + bigName).c_str()) ||
      !product(env, {u->B, u->H, u->W, u->C}, &nSmall, (f + " " + smallName).c_str()))
    return false;
  return need(env, u->big, nBig, bigName) && need(env, u->small, nSmall, smallName);
}

napi_value UpsampleGrad(napi_env env, napi_callback_info info) {
  UpsampleArgs u;
  if (!upsampleArgs(env, info, "upsampleGrad", true, "dy", "dx", &u)) return nullptr;
  const Arr &dy = u.big, &dx = u.small;
  const int64_t B = u.B, H = u.H, W = u.W, C = u.C, k = u.k, OW = u.OW;
  const int64_t rows = B * H;
  const int parts = partsFor(double(rows) * k * OW * C, rows);
  pool().run(parts, [&](int part) {
    const int64_t r1 = splitAt(rows, parts, part + 1);
    for (int64_t r = splitAt(rows, parts, part); r < r1; r++) {
      float* out = dx.p + r * W * C;
      const float* in = dy.p + r * k * OW * C;  // output row r·k of the same sample (b·H·k + y·k = r·k)
      for (int64_t xx = 0; xx < W; xx++) {
        float* o = out + xx * C;
        for (int64_t c = 0; c < C; c++) o[c] = 0.f;
        for (int64_t a = 0; a < k; a++) {
          const float* row = in + (a * OW + xx * k) * C;
          for (int64_t e = 0; e < k; e++)
            for (int64_t c = 0; c < C; c++) o[c] += row[e * C + c];
        }
      }
    }
  });
  return nullptr;
}

// upsampleForward(x, y, dims Int32Array[5] = B,H,W,C,k): nearest-neighbour up-sampling by k on both axes, output
// (i, j) reading input (⌊i/k⌋, ⌊j/k⌋) (the forward upsampleGrad inverts). Split by output rows across threads.
napi_value UpsampleForward(napi_env env, napi_callback_info info) {
  UpsampleArgs u;
  if (!upsampleArgs(env, info, "upsampleForward", false, "y", "x", &u)) return nullptr;
  const Arr &y = u.big, &x = u.small;
  const int64_t W = u.W, C = u.C, k = u.k, OW = u.OW;
  const int64_t rows = u.B * u.H * k;  // output rows
  const int parts = partsFor(double(rows) * OW * C, rows);
  pool().run(parts, [&](int part) {
    const int64_t r1 = splitAt(rows, parts, part + 1);
    for (int64_t r = splitAt(rows, parts, part); r < r1; r++) {
      const float* in = x.p + (r / k) * W * C;  // input row ⌊r/k⌋ of the same sample (b·H·k + i ↦ b·H + ⌊i/k⌋)
      float* out = y.p + r * OW * C;
      for (int64_t xx = 0; xx < W; xx++)
        for (int64_t e = 0; e < k; e++) std::memcpy(out + (xx * k + e) * C, in + xx * C, sizeof(float) * C);
    }
  });
  return nullptr;
}

napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"x", "dy", "dfilter"};
  static const Role roles[3] = {kInput, kOutputShaped, kFilter};
  Conv c;
  Arr a[3];
  if (!convCall(env, info, names, roles, a, &c)) return nullptr;
  Arr &x = a[0], &dy = a[1], &df = a[2];
#ifdef HAVE_DNNL
  if (dnnlconv::run(dnnlconv::kBwdWeights, c, x.p, nullptr, dy.p, nullptr, df.p)) {
    countConv(kDnnl, kOpBackwardWeights);
    return nullptr;
  }
#endif
  countConv(kBlas, kOpBackwardWeights);
  if (c.K() == 0 || c.Cout == 0) return nullptr;
  if (c.M() == 0) { std::memset(df.p, 0, sizeof(float) * c.K() * c.Cout); return nullptr; }
  // dW = Σ over rows of output positions: each chunk sums its range into its own buffer (chunk 0 straight into dW),
  // then the partial sums are added in part order (the same order for every run: deterministic).
  const int64_t KC = c.K() * c.Cout;
  const int parts = partsFor(convWork(c), c.M());
  static thread_local std::vector<float> partials;  // the calling thread's; workers get the pointer
  if (parts > 1 && partials.size() < size_t((parts - 1) * KC)) partials.resize((parts - 1) * KC);
  float* const partial = partials.data();
  pool().run(parts, [&](int p) {
    const int64_t m0 = splitAt(c.M(), parts, p), m1 = splitAt(c.M(), parts, p + 1);
    float* out = p == 0 ? df.p : partial + (p - 1) * KC;
    if (m1 <= m0) { std::memset(out, 0, sizeof(float) * KC); return; }
    if (c.pointwise()) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c.K(), c.Cout, m1 - m0, 1.f, x.p + m0 * c.K(), c.K(), dy.p + m0 * c.Cout, c.Cout, 0.f,
                  out, c.Cout);
      return;
    }
    im2colChunks(c, x.p, m0, m1, [&](int64_t r0, int64_t n, const float* col) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c.K(), c.Cout, n, 1.f, col, c.K(), dy.p + r0 * c.Cout, c.Cout,
                  r0 == m0 ? 0.f : 1.f, out, c.Cout);
    });
  });
  for (int p = 1; p < parts; p++) {
    const float* src = partial + (p - 1) * KC;
    for (int64_t i = 0; i < KC; i++) df.p[i] += src[i];
  }
  return nullptr;
}

napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  static const char* const names[3] = {"dy", "filter", "dx"};
  static const Role roles[3] = {kOutputShaped, kFilter, kInput};
  Conv c;
  Arr a[3];
  if (!convCall(env, info, names, roles, a, &c)) return nullptr;
  Arr &dy = a[0], &f = a[1], &dx = a[2];
#ifdef HAVE_DNNL
  if (dnnlconv::run(dnnlconv::kBwdData, c, dy.p, f.p, nullptr, nullptr, dx.p)) {
    countConv(kDnnl, kOpBackwardData);
    return nullptr;
  }
#endif
  countConv(kBlas, kOpBackwardData);
  const int64_t inPerSample = c.H * c.W * c.Cin;
  if (c.M() == 0 || c.Cout == 0 || c.K() == 0) { std::memset(dx.p, 0, sizeof(float) * c.B * inPerSample); return nullptr; }
  if (c.pointwise()) {
    const int parts = partsFor(convWork(c), c.M());
    pool().run(parts, [&](int p) {
      const int64_t m0 = splitAt(c.M(), parts, p), m1 = splitAt(c.M(), parts, p + 1);
      if (m1 > m0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m1 - m0, c.K(), c.Cout, 1.f, dy.p + m0 * c.Cout, c.Cout, f.p, c.Cout, 0.f,
                    dx.p + m0 * c.K(), c.K());
    });
    return nullptr;
  }
  // col2im scatters into overlapping input windows of one sample: split by whole samples so no two threads write the
  // same dx element.
  const int64_t perSample = c.oh * c.ow;
  const int parts = partsFor(convWork(c), c.B);
  pool().run(parts, [&](int p) {
    const int64_t b0 = splitAt(c.B, parts, p), b1 = splitAt(c.B, parts, p + 1);
    if (b1 <= b0) return;
    std::memset(dx.p + b0 * inPerSample, 0, sizeof(float) * (b1 - b0) * inPerSample);
    const int64_t mEnd = b1 * perSample;
    const int64_t rows = chunkRows(c);
    float* dcol = scratch(rows * c.K()).data();
    for (int64_t m0 = b0 * perSample; m0 < mEnd; m0 += rows) {
      const int64_t n = std::min(rows, mEnd - m0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, c.K(), c.Cout, 1.f, dy.p + m0 * c.Cout, c.Cout, f.p, c.Cout, 0.f, dcol, c.K());
      col2imAdd(c, dcol, m0, n, dx.p);
    }
  });
  return nullptr;
}

// ------------------------------------------------------------------------------------------------ batch norm
// Same formulas as src/ops/batch-norm.ts (float64 accumulators):
//   y = γ·(x − μ)/√(σ² + ε) + β;  dγ = Σ dy·x̂;  dβ = Σ dy;
//   dx = k·dy + a·(x − μ) + c0,  k = γ·r,  a = −k·r·Σ(dy·x̂)/n + 2·dσ²/n,  c0 = −k·Σdy/n + dμ/n,  r = 1/√(σ² + ε).

bool getNC(napi_env env, napi_value nv, napi_value cv, napi_value ev, int64_t* n, int64_t* C, double* eps) {
  int64_t a, b;
  if (napi_get_value_int64(env, nv, &a) != napi_ok || napi_get_value_int64(env, cv, &b) != napi_ok ||
      napi_get_value_double(env, ev, eps) != napi_ok || a < 0 || b < 0) {
    napi_throw_type_error(env, nullptr, "tfjs-wasm-train: batch norm needs n >= 0, C >= 0 and eps");
    return false;
  }
  *n = a;
  *C = b;
  return true;
}

// Optional ReLU mask: with the fused ReLU the forward output y = relu(bn(x)) is passed to the backward kernels, and
// dy counts only where y > 0. A null (or undefined) argument means no ReLU.
bool getMask(napi_env env, napi_value v, size_t need, Arr* out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) { out->p = nullptr; out->n = 0; return true; }
  if (!getFloats(env, v, out, "reluOut")) return false;
  if (out->n < need) { napi_throw_range_error(env, nullptr, "tfjs-wasm-train: reluOut is shorter than x"); return false; }
  return true;
}


// Per-channel coefficients repeated over R rows, so an elementwise pass over [n, C] runs as flat loops of R·C
// values instead of n loops of C: with C = 16-32 (the CPU presets) the per-row loop ran scalar (perf: vmulss/vmovss
// with spilled pointers) and the batch-norm passes took 2-3x the time of an Add of the same size. Same arithmetic per
// element, so the same bits.
struct Tiled {
  int64_t rows = 1;
  std::vector<std::vector<float>> arrays;
  Tiled(int64_t C, std::initializer_list<const std::vector<float>*> perChannel) {
    rows = std::max<int64_t>(1, 512 / std::max<int64_t>(1, C));
    for (const auto* v : perChannel) {
      std::vector<float> t(rows * C);
      for (int64_t r = 0; r < rows; r++) std::copy(v->begin(), v->end(), t.begin() + r * C);
      arrays.push_back(std::move(t));
    }
  }
  // f(offset, length) over rows [r0, r1) in blocks of `rows` rows.
  template <typename F>
  void each(int64_t r0, int64_t r1, int64_t C, F f) const {
    for (int64_t p = r0; p < r1; p += rows) f(p * C, std::min(rows, r1 - p) * C);
  }
};

// Two per-channel sums over n rows of C values: float accumulators within blocks of 128 rows (they vectorise), double
// across blocks; rows split into pool chunks, whose sums are added in chunk order. addRow(p, f1, f2) adds row p's terms.
template <typename AddRow>
void channelSums2(int64_t n, int64_t C, AddRow addRow, std::vector<double>* s1, std::vector<double>* s2) {
  const int parts = partsFor(double(n) * double(C), n);
  std::vector<double> a(parts * C, 0.0), b(parts * C, 0.0);
  pool().run(parts, [&](int part) {
    std::vector<float> f1(C), f2(C);
    double* pa = a.data() + part * C;
    double* pb = b.data() + part * C;
    constexpr int64_t kBlock = 128;
    const int64_t r1 = splitAt(n, parts, part + 1);
    for (int64_t p0 = splitAt(n, parts, part); p0 < r1; p0 += kBlock) {
      std::fill(f1.begin(), f1.end(), 0.f);
      std::fill(f2.begin(), f2.end(), 0.f);
      const int64_t p1 = std::min(r1, p0 + kBlock);
      for (int64_t p = p0; p < p1; p++) addRow(p, f1.data(), f2.data());
      for (int64_t c = 0; c < C; c++) {
        pa[c] += f1[c];
        pb[c] += f2[c];
      }
    }
  });
  s1->assign(C, 0.0);
  s2->assign(C, 0.0);
  for (int part = 0; part < parts; part++) {
    for (int64_t c = 0; c < C; c++) {
      (*s1)[c] += a[part * C + c];
      (*s2)[c] += b[part * C + c];
    }
  }
}

napi_value BnForward(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args(env, info, 10, argv, "bnForward")) return nullptr;
  Arr x, g, be, y, mean, var;
  int64_t n, C;
  double eps;
  int32_t relu = 0;
  if (!getFloats(env, argv[0], &x, "x") || !getFloats(env, argv[1], &g, "gamma") || !getFloats(env, argv[2], &be, "beta") ||
      !getFloats(env, argv[3], &y, "y") || !getFloats(env, argv[4], &mean, "mean") || !getFloats(env, argv[5], &var, "variance") ||
      !getNC(env, argv[6], argv[7], argv[8], &n, &C, &eps) || napi_get_value_int32(env, argv[9], &relu) != napi_ok)
    return nullptr;
  if (!need(env, x, n * C, "x") || !need(env, y, n * C, "y") || !need(env, g, C, "gamma") || !need(env, be, C, "beta") ||
      !need(env, mean, C, "mean") || !need(env, var, C, "variance"))
    return nullptr;
  // One pass for mean and variance: per-channel sums of d = x − k (k = the first row, a shift that avoids the
  // cancellation of E[x²] − E[x]²), accumulated in float over blocks of rows (vectorises) and in double across blocks.
  // Rows split into chunks, each with its own accumulators; the per-chunk sums are added in chunk order.
  std::vector<float> k(C), scale(C), shift(C);
  if (n > 0) std::memcpy(k.data(), x.p, sizeof(float) * C);
  std::vector<double> s, q;
  channelSums2(n, C, [&](int64_t p, float* fs, float* fq) {
    const float* xp = x.p + p * C;
    for (int64_t c = 0; c < C; c++) {
      const float d = xp[c] - k[c];
      fs[c] += d;
      fq[c] += d * d;
    }
  }, &s, &q);
  const int parts = partsFor(double(n) * double(C), n);
  for (int64_t c = 0; c < C; c++) {
    const double m1 = n > 0 ? s[c] / double(n) : 0.0;
    const double v = n > 0 ? std::max(0.0, q[c] / double(n) - m1 * m1) : 0.0;
    const double mu = k[c] + m1;
    mean.p[c] = float(mu);
    var.p[c] = float(v);
    const double sc = g.p[c] / std::sqrt(v + eps);
    scale[c] = float(sc);
    shift[c] = float(be.p[c] - mu * sc);
  }
  const Tiled tiled(C, {&scale, &shift});
  pool().run(parts, [&](int part) {
    const int64_t r0 = splitAt(n, parts, part), r1 = splitAt(n, parts, part + 1);
    const float* __restrict sc = tiled.arrays[0].data();
    const float* __restrict sh = tiled.arrays[1].data();
    tiled.each(r0, r1, C, [&](int64_t off, int64_t len) {
      const float* __restrict xp = x.p + off;
      float* __restrict yp = y.p + off;
      if (relu) {
        // ReLU by clearing negative values through their sign bit: integer ops vectorise; a float compare-and-select
        // does not without -ffast-math (signed-zero rules) and compiled to a branch (5x slower on random signs).
        int32_t* __restrict yb = reinterpret_cast<int32_t*>(yp);
        for (int64_t j = 0; j < len; j++) {
          const float v = xp[j] * sc[j] + sh[j];
          int32_t b;
          std::memcpy(&b, &v, 4);
          yb[j] = b & ~(b >> 31);
        }
      } else {
        for (int64_t j = 0; j < len; j++) yp[j] = xp[j] * sc[j] + sh[j];
      }
    });
  });
  return nullptr;
}

// Σdy and Σdy·(x − μ)·r per channel (dy masked by the fused ReLU's output when given). Float accumulators over
// blocks of rows (they vectorise), double across blocks.
void bnSums(const float* x, const float* dy, const float* mask, const float* mean, const std::vector<double>& r, int64_t n, int64_t C,
            std::vector<double>* sdy, std::vector<double>* sdyx) {
  channelSums2(n, C, [&](int64_t p, float* f1, float* f2) {
    const float* xp = x + p * C;
    const float* dp = dy + p * C;
    if (mask == nullptr) {
      for (int64_t c = 0; c < C; c++) {
        f1[c] += dp[c];
        f2[c] += dp[c] * (xp[c] - mean[c]);
      }
    } else {
      const float* mp = mask + p * C;
      for (int64_t c = 0; c < C; c++) {
        const float d = dp[c] * float(mp[c] > 0.f);  // branch-free: ReLU masks are close to random
        f1[c] += d;
        f2[c] += d * (xp[c] - mean[c]);
      }
    }
  }, sdy, sdyx);
  for (int64_t c = 0; c < C; c++) (*sdyx)[c] *= r[c];
}

// bnGradParams(x, mean, variance, dy, dgamma, dbeta, n, C, eps, reluOut|null)
napi_value BnGradParams(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args(env, info, 10, argv, "bnGradParams")) return nullptr;
  Arr x, mean, var, dy, dg, db, mask;
  int64_t n, C;
  double eps;
  if (!getFloats(env, argv[0], &x, "x") || !getFloats(env, argv[1], &mean, "mean") || !getFloats(env, argv[2], &var, "variance") ||
      !getFloats(env, argv[3], &dy, "dy") || !getFloats(env, argv[4], &dg, "dgamma") || !getFloats(env, argv[5], &db, "dbeta") ||
      !getNC(env, argv[6], argv[7], argv[8], &n, &C, &eps))
    return nullptr;
  if (!need(env, x, n * C, "x") || !need(env, dy, n * C, "dy") || !need(env, mean, C, "mean") || !need(env, var, C, "variance") ||
      !need(env, dg, C, "dgamma") || !need(env, db, C, "dbeta") || !getMask(env, argv[9], n * C, &mask))
    return nullptr;
  std::vector<double> r(C), sdy, sdyx;
  for (int64_t c = 0; c < C; c++) r[c] = 1.0 / std::sqrt(double(var.p[c]) + eps);
  bnSums(x.p, dy.p, mask.p, mean.p, r, n, C, &sdy, &sdyx);
  for (int64_t c = 0; c < C; c++) {
    dg.p[c] = float(sdyx[c]);
    db.p[c] = float(sdy[c]);
  }
  return nullptr;
}

// dx = k·(dy masked by the ReLU output) + a·(x − μ) + c0 over one tiled block. Out of line on purpose: inlined into
// BnGradX (whose std::vector temporaries put it in exception regions) GCC left the loop scalar ("statement can throw
// an exception"; perf annotate: vmulss/vmovss), 2.5x slower than this vectorised copy.
__attribute__((noinline)) void bnGradXBlock(int64_t len, const float* __restrict x, const float* __restrict dy, const float* __restrict mask,
                  const float* __restrict k, const float* __restrict a, const float* __restrict c0, const float* __restrict mu,
                  float* __restrict out) {
  if (mask) {
    for (int64_t j = 0; j < len; j++) out[j] = k[j] * (dy[j] * float(mask[j] > 0.f)) + a[j] * (x[j] - mu[j]) + c0[j];
  } else {
    for (int64_t j = 0; j < len; j++) out[j] = k[j] * dy[j] + a[j] * (x[j] - mu[j]) + c0[j];
  }
}

// bnGradX(x, gamma, mean, variance, dy, dmean, dvariance, dx, n, C, eps, reluOut|null)
// bnGrad(..., the same 12, dgamma, dbeta): also writes dγ = Σdy·x̂ and dβ = Σdy, the sums dx needs anyway, so one pass
// over x and dy less than bnGradParams + bnGradX (the same values and bits as those two).
napi_value bnGradImpl(napi_env env, napi_callback_info info, bool params) {
  const size_t argc = params ? 14 : 12;
  napi_value argv[14];
  if (!args(env, info, argc, argv, params ? "bnGrad" : "bnGradX")) return nullptr;
  Arr x, g, mean, var, dy, dm, dv, dx, mask, dg, db;
  int64_t n, C;
  double eps;
  if (!getFloats(env, argv[0], &x, "x") || !getFloats(env, argv[1], &g, "gamma") || !getFloats(env, argv[2], &mean, "mean") ||
      !getFloats(env, argv[3], &var, "variance") || !getFloats(env, argv[4], &dy, "dy") || !getFloats(env, argv[5], &dm, "dmean") ||
      !getFloats(env, argv[6], &dv, "dvariance") || !getFloats(env, argv[7], &dx, "dx") || !getNC(env, argv[8], argv[9], argv[10], &n, &C, &eps))
    return nullptr;
  if (!need(env, x, n * C, "x") || !need(env, dy, n * C, "dy") || !need(env, dx, n * C, "dx") || !need(env, g, C, "gamma") ||
      !need(env, mean, C, "mean") || !need(env, var, C, "variance") || !need(env, dm, C, "dmean") || !need(env, dv, C, "dvariance") ||
      !getMask(env, argv[11], n * C, &mask))
    return nullptr;
  if (params && (!getFloats(env, argv[12], &dg, "dgamma") || !getFloats(env, argv[13], &db, "dbeta") || !need(env, dg, C, "dgamma") ||
                 !need(env, db, C, "dbeta")))
    return nullptr;
  std::vector<double> r(C), sdy, sdyx;
  for (int64_t c = 0; c < C; c++) r[c] = 1.0 / std::sqrt(double(var.p[c]) + eps);
  bnSums(x.p, dy.p, mask.p, mean.p, r, n, C, &sdy, &sdyx);
  if (params) {
    for (int64_t c = 0; c < C; c++) {
      dg.p[c] = float(sdyx[c]);
      db.p[c] = float(sdy[c]);
    }
  }
  std::vector<float> k(C), a(C), c0(C), mu(C);
  for (int64_t c = 0; c < C; c++) {
    const double kc = g.p[c] * r[c];
    k[c] = float(kc);
    a[c] = float(-kc * r[c] * sdyx[c] / double(n) + 2.0 * dv.p[c] / double(n));
    c0[c] = float(-kc * sdy[c] / double(n) + dm.p[c] / double(n));
    mu[c] = mean.p[c];
  }
  const int parts = partsFor(double(n) * double(C), n);
  const Tiled tiled(C, {&k, &a, &c0, &mu});
  pool().run(parts, [&](int part) {
    const float* __restrict kp = tiled.arrays[0].data();
    const float* __restrict ap = tiled.arrays[1].data();
    const float* __restrict cp = tiled.arrays[2].data();
    const float* __restrict mup = tiled.arrays[3].data();
    tiled.each(splitAt(n, parts, part), splitAt(n, parts, part + 1), C, [&](int64_t off, int64_t len) {
      bnGradXBlock(len, x.p + off, dy.p + off, mask.p ? mask.p + off : nullptr, kp, ap, cp, mup, dx.p + off);
    });
  });
  return nullptr;
}

napi_value BnGradX(napi_env env, napi_callback_info info) { return bnGradImpl(env, info, false); }
napi_value BnGrad(napi_env env, napi_callback_info info) { return bnGradImpl(env, info, true); }

// ------------------------------------------------------------------------------------------------ host reductions
// Not tfjs kernels: plain functions for a caller's own host kernels (src/host-memory.ts), e.g. a loss on the
// distribution a heatmap predicts (the STAR loss, for which they were written, keeps the same loops in JS).
// Heatmap moments, float64 accumulators: per channel n of heatmaps [B,H,W,N] the mass S = Σh and six statistics of
// the normalised map h_n = h/S, packed as (S, mx, my, cxx, cyy, cxy, q): the mean, the central second moments (from
// row/column marginals: a one-pixel peak has exactly zero spread) and q = Σh_n². They are divided by S before the
// float32 store, so no statistic but S depends on the heatmap's scale and none overflows (Σh² of a 1e19 map would);
// channels with S <= 0 get zeros. The heatmap gradient is
// gS + [gmx·dx + gmy·dy + gxx·(dx² − cxx) + gyy·(dy² − cyy) + gxy·(dx·dy − cxy) + 2·gq·(h/S − q)] / S
// (the centring terms add nothing: Σh·(x − mx) = 0).

bool getShape4(napi_env env, napi_value v, int64_t* B, int64_t* H, int64_t* W, int64_t* N) {
  std::vector<int64_t> d;
  if (!getInts(env, v, &d, 4, "heatmap shape")) return false;
  *B = d[0]; *H = d[1]; *W = d[2]; *N = d[3];
  return true;
}

// The largest of three values, NaN passed over: from −∞, a value is taken only when larger (the cpu max pool's rule).
static inline float max3(float a, float b, float c) {
  float m = -INFINITY;
  m = a > m ? a : m;
  m = b > m ? b : m;
  return c > m ? c : m;
}

// adaptiveWing(heatmaps, targets, grad, sums, shape Int32Array[4] = B,H,W,N, params Float64Array[6] = ω,θ,ε,α,weight,
// threshold): Adaptive Wing with the official weight map (1 + weight·[3×3 max of the target >= threshold], the
// threshold compared in float32), in float64: grad = d(mean of w·AWing)/d(heatmaps), 0 where p = y (the ops version's
// value there while α − y > 1, where the power's derivative vanishes), NaN where p or y is NaN; sums[b] = Σ over sample b of w·AWing (the caller adds them in sample order, so the total has
// the same bits at any thread count). The same expressions as the STAR project's src/loss/awing-host.ts JS loop.
napi_value AdaptiveWing(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args(env, info, 6, argv, "adaptiveWing")) return nullptr;
  Arr h, y, grad, sums;
  int64_t B, H, W, N;
  double* prm;
  if (!getFloats(env, argv[0], &h, "heatmaps") || !getFloats(env, argv[1], &y, "targets") || !getFloats(env, argv[2], &grad, "grad") ||
      !getFloats(env, argv[3], &sums, "sums") || !getShape4(env, argv[4], &B, &H, &W, &N) || !getDoubles(env, argv[5], &prm, 6, "adaptiveWing params"))
    return nullptr;
  int64_t n;
  if (!product(env, {B, H, W, N}, &n, "adaptiveWing heatmaps")) return nullptr;
  if (!need(env, h, n, "heatmaps") || !need(env, y, n, "targets") || !need(env, grad, n, "grad") || !need(env, sums, B, "sums")) return nullptr;
  const double omega = prm[0], theta = prm[1], eps = prm[2], alpha = prm[3], weight = prm[4];
  const float threshold = float(prm[5]);
  const double te = theta / eps, count = double(n);
  const int64_t row = W * N, plane = H * row;
  const int parts = partsFor(double(n) * 20, B);
  pool().run(parts, [&](int part) {
    std::vector<float> colMax(plane);
    std::vector<uint8_t> mask(plane);
    const int64_t b1 = splitAt(B, parts, part + 1);
    for (int64_t b = splitAt(B, parts, part); b < b1; b++) {
      const float* yb = y.p + b * plane;
      const float* hb = h.p + b * plane;
      float* gb = grad.p + b * plane;
      for (int64_t i = 0; i < H; i++) {
        const float* up = yb + (i > 0 ? i - 1 : 0) * row;
        const float* mid = yb + i * row;
        const float* down = yb + (i < H - 1 ? i + 1 : H - 1) * row;
        float* cm = colMax.data() + i * row;
        for (int64_t q = 0; q < row; q++) cm[q] = max3(up[q], mid[q], down[q]);
      }
      for (int64_t i = 0; i < H; i++) {
        const float* cm = colMax.data() + i * row;
        uint8_t* mk = mask.data() + i * row;
        for (int64_t j = 0; j < W; j++) {
          const float* l = cm + (j > 0 ? j - 1 : 0) * N;
          const float* c = cm + j * N;
          const float* r = cm + (j < W - 1 ? j + 1 : W - 1) * N;
          for (int64_t k = 0; k < N; k++) mk[j * N + k] = max3(l[k], c[k], r[k]) >= threshold ? 1 : 0;
        }
      }
      double sum = 0, lastY = NAN, A = 0, C = 0;
      for (int64_t q = 0; q < plane; q++) {
        const double t = yb[q], p = hb[q];
        const double w = mask[q] ? 1 + weight : 1;
        const double e = alpha - t, diff = t - p, d = std::fabs(diff);
        double loss, dd;
        if (d < theta) {
          const double r = d / eps, rp = std::pow(r, e);
          loss = omega * std::log1p(rp);
          dd = d > 0 ? (omega * e * (rp / r)) / (eps * (1 + rp)) : 0;
        } else {
          if (!(t == lastY)) {
            const double teP = std::pow(te, e);
            A = (omega * e * (teP / te)) / (eps * (1 + teP));
            C = theta * A - omega * std::log1p(teP);
            lastY = t;
          }
          loss = A * d - C;
          dd = A;
        }
        sum += w * loss;
        const double g = (w * dd) / count;
        gb[q] = float(diff > 0 ? -g : diff < 0 ? g : (std::isnan(p) || std::isnan(t)) ? NAN : 0.0);
      }
      sums.p[b] = float(sum);
    }
  });
  return nullptr;
}

// heatmapMoments(h, out [B,N,7], shape Int32Array[4], xs [W], ys [H])
napi_value HeatmapMoments(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, 5, argv, "heatmapMoments")) return nullptr;
  Arr h, out, xs, ys;
  int64_t B, H, W, N;
  if (!getFloats(env, argv[0], &h, "heatmaps") || !getFloats(env, argv[1], &out, "stats") || !getShape4(env, argv[2], &B, &H, &W, &N) ||
      !getFloats(env, argv[3], &xs, "xs") || !getFloats(env, argv[4], &ys, "ys"))
    return nullptr;
  if (!need(env, h, B * H * W * N, "heatmaps") || !need(env, out, B * N * 7, "stats") || !need(env, xs, W, "xs") || !need(env, ys, H, "ys")) return nullptr;
  // Samples are independent: one chunk of samples per pool chunk.
  const int parts = partsFor(double(B) * H * W * N, B);
  pool().run(parts, [&](int part) {
    std::vector<double> rowMass(H * N), rowX(H * N), colMass(W * N), sumSq(N);
    const int64_t b1 = splitAt(B, parts, part + 1);
    for (int64_t b = splitAt(B, parts, part); b < b1; b++) {
      std::fill(rowMass.begin(), rowMass.end(), 0.0);
      std::fill(rowX.begin(), rowX.end(), 0.0);
      std::fill(colMass.begin(), colMass.end(), 0.0);
      std::fill(sumSq.begin(), sumSq.end(), 0.0);
      const float* hb = h.p + b * H * W * N;
      for (int64_t y = 0; y < H; y++) {
        double* rm = rowMass.data() + y * N;
        double* rx = rowX.data() + y * N;
        for (int64_t x = 0; x < W; x++) {
          const float* hp = hb + (y * W + x) * N;
          const double xv = xs.p[x];
          double* cm = colMass.data() + x * N;
          for (int64_t n = 0; n < N; n++) {
            const double v = hp[n];
            rm[n] += v;
            rx[n] += v * xv;
            cm[n] += v;
            sumSq[n] += v * v;
          }
        }
      }
      for (int64_t n = 0; n < N; n++) {
        double S = 0, Mx = 0, My = 0;
        for (int64_t y = 0; y < H; y++) {
          S += rowMass[y * N + n];
          Mx += rowX[y * N + n];
          My += rowMass[y * N + n] * ys.p[y];
        }
        const double inv = S > 0 ? 1 / S : 0;
        const double mx = Mx * inv, my = My * inv;
        double Cxx = 0, Cyy = 0, Cxy = 0;
        for (int64_t x = 0; x < W; x++) {
          const double dx = xs.p[x] - mx;
          Cxx += colMass[x * N + n] * dx * dx;
        }
        for (int64_t y = 0; y < H; y++) {
          const double dy = ys.p[y] - my;
          const double rm = rowMass[y * N + n];
          Cyy += rm * dy * dy;
          Cxy += dy * (rowX[y * N + n] - mx * rm);
        }
        float* o = out.p + (b * N + n) * 7;
        o[0] = float(S); o[1] = float(mx); o[2] = float(my); o[3] = float(Cxx * inv); o[4] = float(Cyy * inv); o[5] = float(Cxy * inv);
        o[6] = float(sumSq[n] * inv * inv);
      }
    }
  });
  return nullptr;
}

// heatmapMomentsGrad(dP [B,N,7], h, P [B,N,7], out (dh), shape Int32Array[4], xs [W], ys [H])
napi_value HeatmapMomentsGrad(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args(env, info, 7, argv, "heatmapMomentsGrad")) return nullptr;
  Arr dP, h, P, out, xs, ys;
  int64_t B, H, W, N;
  if (!getFloats(env, argv[0], &dP, "dstats") || !getFloats(env, argv[1], &h, "heatmaps") || !getFloats(env, argv[2], &P, "stats") ||
      !getFloats(env, argv[3], &out, "dheatmaps") || !getShape4(env, argv[4], &B, &H, &W, &N) || !getFloats(env, argv[5], &xs, "xs") ||
      !getFloats(env, argv[6], &ys, "ys"))
    return nullptr;
  if (!need(env, h, B * H * W * N, "heatmaps") || !need(env, out, B * H * W * N, "dheatmaps") || !need(env, dP, B * N * 7, "dstats") ||
      !need(env, P, B * N * 7, "stats") || !need(env, xs, W, "xs") || !need(env, ys, H, "ys"))
    return nullptr;
  const int parts = partsFor(double(B) * H * W * N, B);
  pool().run(parts, [&](int part) {
    std::vector<float> ax(W * N), dxs(W * N), gxy(N), q2(N), ay(N), ay2(N), my(N), inv(N);
    const int64_t b1 = splitAt(B, parts, part + 1);
    for (int64_t b = splitAt(B, parts, part); b < b1; b++) {
      for (int64_t n = 0; n < N; n++) {
        const float* o = P.p + (b * N + n) * 7;
        const float* g = dP.p + (b * N + n) * 7;
        // Every factor but gS is divided by S here, in double (1/S can be ~1e30 where the statistics are O(1)).
        const double iS = o[0] > 0 ? 1 / double(o[0]) : 0;
        const double mx = o[1];
        const double gmx = g[1] * iS, gxx = g[3] * iS;
        const double c0 = g[0] - (gxx * o[3] + g[4] * iS * o[4] + g[5] * iS * o[5] + 2 * g[6] * iS * o[6]);
        inv[n] = float(iS);
        my[n] = o[2];
        for (int64_t x = 0; x < W; x++) {
          const double dx = xs.p[x] - mx;
          ax[x * N + n] = float(c0 + gmx * dx + gxx * dx * dx);
          dxs[x * N + n] = float(dx);
        }
        ay[n] = float(g[2] * iS);
        ay2[n] = float(g[4] * iS);
        gxy[n] = float(g[5] * iS);
        q2[n] = float(2 * g[6] * iS);
      }
      const float* hb = h.p + b * H * W * N;
      float* ob = out.p + b * H * W * N;
      for (int64_t y = 0; y < H; y++) {
        const float yv = ys.p[y];
        for (int64_t x = 0; x < W; x++) {
          const float* hp = hb + (y * W + x) * N;
          float* op = ob + (y * W + x) * N;
          const float* axp = ax.data() + x * N;
          const float* dxp = dxs.data() + x * N;
          for (int64_t n = 0; n < N; n++) {
            const float dy = yv - my[n];
            op[n] = axp[n] + ay[n] * dy + ay2[n] * dy * dy + gxy[n] * dxp[n] * dy + q2[n] * (hp[n] * inv[n]);
          }
        }
      }
    }
  });
  return nullptr;
}

// setThreads(n[, minWork])
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t t = 1;
  double minWork = 1.5e5;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &t) != napi_ok || t < 1 ||
      (argc >= 2 && (napi_get_value_double(env, argv[1], &minWork) != napi_ok || !(minWork >= 0)))) {
    napi_throw_range_error(env, nullptr, "tfjs-wasm-train: setThreads(n[, minWork]) needs n >= 1 and minWork >= 0");
    return nullptr;
  }
  gMinWork = minWork;
  // OpenBLAS runs single-threaded inside our parts (see Pool).
  openblas_set_num_threads(1);
  pool().resize(std::min(t, 64));
  return nullptr;
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, pool().threads(), &v);
  return v;
}

// The kernels OpenBLAS picked when it loaded ("Haswell", "SkylakeX", ...): what a run's numbers depend on.
napi_value BlasCoreName(napi_env env, napi_callback_info) {
  const char* name = openblas_get_corename();
  napi_value v;
  napi_create_string_utf8(env, name ? name : "unknown", NAPI_AUTO_LENGTH, &v);
  return v;
}

napi_value makeString(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

void setProp(napi_env env, napi_value obj, const char* name, napi_value v) { napi_set_named_property(env, obj, name, v); }

napi_value makeBool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

// convEngine() -> { dnnl: built with oneDNN, enabled: 3×3 / 7×7 convolutions run on it now, version, isa (the
// effective one: what the kernels use), isaSource ('pinned' = capped at AVX2 by us, or the user's variable),
// disabledBy ('' when enabled, else why not) }. What a run's numbers depend on, next to blasCoreName.
napi_value ConvEngineInfo(napi_env env, napi_callback_info) {
  napi_value o;
  napi_create_object(env, &o);
#ifdef HAVE_DNNL
  const auto& s = dnnlconv::settings();
  setProp(env, o, "dnnl", makeBool(env, true));
  setProp(env, o, "enabled", makeBool(env, s.enabled.load()));
  setProp(env, o, "version", makeString(env, dnnlconv::version()));
  setProp(env, o, "isa", makeString(env, dnnlconv::isaName(dnnl::get_effective_cpu_isa())));
  setProp(env, o, "isaSource", makeString(env, s.isaSource));
  setProp(env, o, "disabledBy", makeString(env, s.disabledBy));
#else
  setProp(env, o, "dnnl", makeBool(env, false));
  setProp(env, o, "enabled", makeBool(env, false));
  setProp(env, o, "version", makeString(env, ""));
  setProp(env, o, "isa", makeString(env, ""));
  setProp(env, o, "isaSource", makeString(env, ""));
  setProp(env, o, "disabledBy", makeString(env, "built without oneDNN"));
#endif
  return o;
}

// setConvEngine(useDnnl) -> the previous setting: turns the oneDNN path on or off for later calls (benchmarks
// alternate both in one process; TFJS_WASM_TRAIN_DNNL=0 sets the initial value). A no-op without oneDNN.
napi_value SetConvEngine(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv, "setConvEngine")) return nullptr;
  bool on = false;
  if (napi_get_value_bool(env, argv[0], &on) != napi_ok) {
    napi_throw_type_error(env, nullptr, "tfjs-wasm-train: setConvEngine takes a boolean");
    return nullptr;
  }
#ifdef HAVE_DNNL
  auto& s = dnnlconv::settings();
  const bool before = s.enabled.exchange(on);
  s.disabledBy = on ? "" : "setConvEngine(false)";
  return makeBool(env, before);
#else
  (void)on;
  return makeBool(env, false);
#endif
}

// convCounters([reset]) -> calls per engine and op since load (or the last reset): { blas: {forward, backwardData,
// backwardWeights}, dnnl: {...}, dnnlFallbacks, dnnlLastError }; reset = true zeroes them after reading.
napi_value ConvCounters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool reset = false;
  if (argc >= 1) napi_get_value_bool(env, argv[0], &reset);
  napi_value o;
  napi_create_object(env, &o);
  const char* engines[2] = {"blas", "dnnl"};
  const char* ops[3] = {"forward", "backwardData", "backwardWeights"};
  for (int e = 0; e < 2; e++) {
    napi_value per;
    napi_create_object(env, &per);
    for (int k = 0; k < 3; k++) {
      napi_value v;
      napi_create_double(env, double(reset ? gConvCalls[e][k].exchange(0) : gConvCalls[e][k].load()), &v);
      setProp(env, per, ops[k], v);
    }
    setProp(env, o, engines[e], per);
  }
  napi_value fb;
#ifdef HAVE_DNNL
  napi_create_double(env, double(reset ? dnnlconv::gFallbacks.exchange(0) : dnnlconv::gFallbacks.load()), &fb);
  std::string err;
  {
    std::lock_guard<std::mutex> lk(dnnlconv::errorMutex());
    err = dnnlconv::lastError();
  }
  setProp(env, o, "dnnlLastError", makeString(env, err));
#else
  napi_create_double(env, 0, &fb);
  setProp(env, o, "dnnlLastError", makeString(env, ""));
#endif
  setProp(env, o, "dnnlFallbacks", fb);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
#ifdef HAVE_DNNL
  dnnlconv::init();  // the ISA cap must come before the first primitive
#endif
  const std::pair<const char*, napi_callback> fns[] = {
      {"convEngine", ConvEngineInfo}, {"setConvEngine", SetConvEngine}, {"convCounters", ConvCounters},
      {"conv2dForward", Conv2dForward}, {"conv2dBiasForward", Conv2dBiasForward}, {"conv2dBiasAddForward", Conv2dBiasAddForward}, {"columnSums", ColumnSums}, {"reluGrad", ReluGrad}, {"maxPoolGrad", MaxPoolGrad}, {"maxPoolForward", MaxPoolForward}, {"adaptiveWing", AdaptiveWing}, {"addSame", AddSame}, {"upsampleGrad", UpsampleGrad}, {"upsampleForward", UpsampleForward}, {"conv2dBackpropFilter", Conv2dBackpropFilter}, {"conv2dBackpropInput", Conv2dBackpropInput},
      {"bnForward", BnForward},         {"bnGradParams", BnGradParams},                 {"bnGradX", BnGradX}, {"bnGrad", BnGrad},
      {"heatmapMoments", HeatmapMoments}, {"heatmapMomentsGrad", HeatmapMomentsGrad},
      {"setThreads", SetThreads}, {"getThreads", GetThreads}, {"blasCoreName", BlasCoreName},
  };
  for (const auto& [name, cb] : fns) {
    napi_value fn;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
    napi_set_named_property(env, exports, name, fn);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
