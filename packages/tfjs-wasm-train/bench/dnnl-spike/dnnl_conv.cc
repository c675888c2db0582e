// Spike: oneDNN (Debian libdnnl 2.6.3, OpenMP runtime) convolutions as an N-API addon, to time them against our
// addon (native/tfjs_wasm_train.cc: im2col + OpenBLAS sgemm) on the same Float32Arrays in one Node process.
// Not part of the package: built by build.sh into ./build/dnnl_conv.node, driven by bench.ts.
//
// Layouts are ours: activations NHWC (oneDNN tag nhwc), filters [kh,kw,Cin,Cout] (oneDNN tag hwio), bias [Cout].
// Per geometry (create(dims, weightsAny)) the three primitives are created once and cached in the handle; the user
// memories are cached too and only get new data handles per call (what a framework integration would do).
//   weightsAny = 0: the primitives take / produce weights in hwio, our layout: no reorders.
//   weightsAny = 1: weights format tag::any (oneDNN picks, usually blocked); forward and backward-data reorder our hwio
//                   filter into their format on every call (reorderW = 1) or use the copy reordered by the last call
//                   (reorderW = 0: a framework caching it once per step); backward-weights reorders its result back
//                   into hwio on every call (the optimizer needs it in our layout).
#include <node_api.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

engine& eng() {
  static engine* e = new engine(engine::kind::cpu, 0);
  return *e;
}
stream& strm() {
  static stream* s = new stream(eng());
  return *s;
}

struct Conv {
  int64_t B, H, W, Cin, kh, kw, Cout, sh, sw, dh, dw, pt, pl, oh, ow;
};

struct Prims {
  Conv c;
  bool any;
  convolution_forward::primitive_desc fwdPd;
  convolution_backward_data::primitive_desc bwdDPd;
  convolution_backward_weights::primitive_desc bwdWPd;
  convolution_forward fwd;
  convolution_backward_data bwdD;
  convolution_backward_weights bwdW;
  // user memories (our layouts), data handles set per call
  memory uSrc, uDst, uW, uBias, uDiffSrc, uDiffDst, uDiffW, uDiffBias;
  // primitive-format weights when any
  memory pWFwd, pWBwdD, pDiffW;
  bool reFwd = false, reBwdD = false, reDiffW = false;
  reorder rFwd, rBwdD, rDiffW;
  std::string info;
};

template <typename T>
void setHandle(memory& m, T* p) { m.set_data_handle(const_cast<void*>(static_cast<const void*>(p))); }

Prims* create(const Conv& c, bool any) {
  auto* P = new Prims();
  P->c = c;
  P->any = any;
  const memory::dims src = {c.B, c.Cin, c.H, c.W}, dst = {c.B, c.Cout, c.oh, c.ow}, wei = {c.Cout, c.Cin, c.kh, c.kw}, bias = {c.Cout};
  const memory::dims strides = {c.sh, c.sw}, dil = {c.dh - 1, c.dw - 1}, pl = {c.pt, c.pl};
  const memory::dims pr = {(c.oh - 1) * c.sh + (c.kh - 1) * c.dh + 1 - c.H - c.pt, (c.ow - 1) * c.sw + (c.kw - 1) * c.dw + 1 - c.W - c.pl};
  memory::desc srcMd(src, dt::f32, tag::nhwc), dstMd(dst, dt::f32, tag::nhwc), biasMd(bias, dt::f32, tag::a);
  memory::desc userWMd(wei, dt::f32, tag::hwio);
  memory::desc wMd = any ? memory::desc(wei, dt::f32, tag::any) : userWMd;
  auto& e = eng();
  convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, srcMd, wMd, biasMd, dstMd, strides, dil, pl, pr);
  P->fwdPd = convolution_forward::primitive_desc(fd, e);
  convolution_backward_data::desc bdd(algorithm::convolution_direct, srcMd, wMd, dstMd, strides, dil, pl, pr);
  P->bwdDPd = convolution_backward_data::primitive_desc(bdd, e, P->fwdPd);
  convolution_backward_weights::desc bwd(algorithm::convolution_direct, srcMd, wMd, biasMd, dstMd, strides, dil, pl, pr);
  P->bwdWPd = convolution_backward_weights::primitive_desc(bwd, e, P->fwdPd);
  P->fwd = convolution_forward(P->fwdPd);
  P->bwdD = convolution_backward_data(P->bwdDPd);
  P->bwdW = convolution_backward_weights(P->bwdWPd);
  P->uSrc = memory(srcMd, e, nullptr);
  P->uDst = memory(dstMd, e, nullptr);
  P->uW = memory(userWMd, e, nullptr);
  P->uBias = memory(biasMd, e, nullptr);
  P->uDiffSrc = memory(srcMd, e, nullptr);
  P->uDiffDst = memory(dstMd, e, nullptr);
  P->uDiffW = memory(userWMd, e, nullptr);
  P->uDiffBias = memory(biasMd, e, nullptr);
  P->pWFwd = P->uW;
  P->pWBwdD = P->uW;
  P->pDiffW = P->uDiffW;
  if (P->fwdPd.weights_desc() != userWMd) {
    P->reFwd = true;
    P->pWFwd = memory(P->fwdPd.weights_desc(), e);
    P->rFwd = reorder(P->uW, P->pWFwd);
  }
  if (P->bwdDPd.weights_desc() != userWMd) {
    P->reBwdD = true;
    P->pWBwdD = memory(P->bwdDPd.weights_desc(), e);
    P->rBwdD = reorder(P->uW, P->pWBwdD);
  }
  if (P->bwdWPd.diff_weights_desc() != userWMd) {
    P->reDiffW = true;
    P->pDiffW = memory(P->bwdWPd.diff_weights_desc(), e);
    P->rDiffW = reorder(P->pDiffW, P->uDiffW);
  }
  P->info = std::string("{\"fwd\":\"") + P->fwdPd.impl_info_str() + "\",\"bwdData\":\"" + P->bwdDPd.impl_info_str() + "\",\"bwdWeights\":\"" +
            P->bwdWPd.impl_info_str() + "\",\"reorderFwd\":" + (P->reFwd ? "true" : "false") + ",\"reorderBwdData\":" + (P->reBwdD ? "true" : "false") +
            ",\"reorderDiffW\":" + (P->reDiffW ? "true" : "false") + "}";
  return P;
}

void forward(Prims* P, const float* x, const float* w, const float* b, float* y, bool reorderW) {
  setHandle(P->uSrc, x);
  setHandle(P->uW, w);
  setHandle(P->uBias, b);
  setHandle(P->uDst, y);
  auto& s = strm();
  if (P->reFwd && reorderW) P->rFwd.execute(s, P->uW, P->pWFwd);
  P->fwd.execute(s, {{DNNL_ARG_SRC, P->uSrc}, {DNNL_ARG_WEIGHTS, P->pWFwd}, {DNNL_ARG_BIAS, P->uBias}, {DNNL_ARG_DST, P->uDst}});
  s.wait();
}

void backwardData(Prims* P, const float* dy, const float* w, float* dx, bool reorderW) {
  setHandle(P->uDiffDst, dy);
  setHandle(P->uW, w);
  setHandle(P->uDiffSrc, dx);
  auto& s = strm();
  if (P->reBwdD && reorderW) P->rBwdD.execute(s, P->uW, P->pWBwdD);
  P->bwdD.execute(s, {{DNNL_ARG_DIFF_DST, P->uDiffDst}, {DNNL_ARG_WEIGHTS, P->pWBwdD}, {DNNL_ARG_DIFF_SRC, P->uDiffSrc}});
  s.wait();
}

void backwardWeights(Prims* P, const float* x, const float* dy, float* dw, float* db) {
  setHandle(P->uSrc, x);
  setHandle(P->uDiffDst, dy);
  setHandle(P->uDiffW, dw);
  setHandle(P->uDiffBias, db);
  auto& s = strm();
  P->bwdW.execute(s, {{DNNL_ARG_SRC, P->uSrc}, {DNNL_ARG_DIFF_DST, P->uDiffDst}, {DNNL_ARG_DIFF_WEIGHTS, P->pDiffW}, {DNNL_ARG_DIFF_BIAS, P->uDiffBias}});
  if (P->reDiffW) P->rDiffW.execute(s, P->pDiffW, P->uDiffW);
  s.wait();
}


// ------------------------------------------------------------------------------------------------ split mode
// The thread model our addon uses, with oneDNN inside: the batch is cut into `parts` sub-batches (chunks), whichever
// thread of a small work-stealing pool (like our Pool: caller included, workers spin 200 µs then sleep) asks first runs
// the next chunk, and oneDNN runs single-threaded (omp_set_num_threads(1)) inside it on a primitive created for the
// sub-batch. The same primitive runs concurrently on several threads, so its scratchpad is the user's (one per part).
// Backward-weights: each part writes its own partial dW / db (oneDNN's blocked layout), added in part order
// (deterministic for a given `parts`), then reordered to hwio.
class MiniPool {
 public:
  void resize(int n) {
    stop();
    threads_ = n < 1 ? 1 : n;
    const uint64_t seen = gen_.load();
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this, seen] { work(seen); });
  }
  int threads() const { return threads_; }
  void run(int chunks, const std::function<void(int)>& fn) {
    if (threads_ <= 1 || chunks <= 1) { for (int c = 0; c < chunks; c++) fn(c); return; }
    job_ = &fn;
    chunks_ = chunks;
    done_.store(0);
    next_.store(0);
    {
      std::lock_guard<std::mutex> lk(m_);
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    take();
    while (done_.load(std::memory_order_acquire) != chunks) std::this_thread::yield();
    job_ = nullptr;
  }

 private:
  void take() {
    for (;;) {
      const int c = next_.fetch_add(1);
      if (c >= chunks_) return;
      (*job_.load())(c);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
  void work(uint64_t seen) {
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
      while (gen_.load() == seen && !stop_.load()) {
        if (std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> lk(m_);
          cv_.wait(lk, [&] { return gen_.load() != seen || stop_.load(); });
        }
      }
      if (stop_.load()) return;
      seen = gen_.load();
      if (job_ != nullptr) take();
    }
  }
  void stop() {
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
  std::atomic<int> chunks_{0};
  std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> next_{0}, done_{0};
  std::atomic<bool> stop_{false};
};

MiniPool& miniPool() {
  static MiniPool* p = new MiniPool();
  return *p;
}

struct Split {
  Conv full, sub;
  int parts;
  convolution_forward::primitive_desc fwdPd;
  convolution_backward_data::primitive_desc bwdDPd;
  convolution_backward_weights::primitive_desc bwdWPd;
  convolution_forward fwd;
  convolution_backward_data bwdD;
  convolution_backward_weights bwdW;
  memory uW, uDiffW, pWFwd, pWBwdD;
  bool reFwd = false, reBwdD = false, reDiffW = false;
  reorder rFwd, rBwdD, rDiffW;
  std::vector<memory> src, dst, diffSrc, diffDst, bias, pDiffW, pDiffB, scratch;
  std::vector<stream> streams;
  std::string info;
};

Split* createSplitImpl(const Conv& c, int parts);

// The primitives are created with one OpenMP thread: oneDNN plans a kernel's thread partition (and a backward-weights
// reduction across threads) when the primitive is created, from omp_get_max_threads(); created with 2, every chunk
// would start a team of 2 of its own.
Split* createSplit(const Conv& c, int parts) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  try {
    Split* S = createSplitImpl(c, parts);
    omp_set_num_threads(before);
    return S;
  } catch (...) {
    omp_set_num_threads(before);
    throw;
  }
}

Split* createSplitImpl(const Conv& c, int parts) {
  auto* S = new Split();
  S->full = c;
  S->parts = parts;
  S->sub = c;
  S->sub.B = c.B / parts;
  const Conv& s = S->sub;
  const memory::dims src = {s.B, s.Cin, s.H, s.W}, dst = {s.B, s.Cout, s.oh, s.ow}, wei = {s.Cout, s.Cin, s.kh, s.kw}, bias = {s.Cout};
  const memory::dims strides = {s.sh, s.sw}, dil = {s.dh - 1, s.dw - 1}, pl = {s.pt, s.pl};
  const memory::dims pr = {(s.oh - 1) * s.sh + (s.kh - 1) * s.dh + 1 - s.H - s.pt, (s.ow - 1) * s.sw + (s.kw - 1) * s.dw + 1 - s.W - s.pl};
  memory::desc srcMd(src, dt::f32, tag::nhwc), dstMd(dst, dt::f32, tag::nhwc), biasMd(bias, dt::f32, tag::a);
  memory::desc userWMd(wei, dt::f32, tag::hwio), wMd(wei, dt::f32, tag::any);
  auto& e = eng();
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, srcMd, wMd, biasMd, dstMd, strides, dil, pl, pr);
  S->fwdPd = convolution_forward::primitive_desc(fd, attr, e);
  convolution_backward_data::desc bdd(algorithm::convolution_direct, srcMd, wMd, dstMd, strides, dil, pl, pr);
  S->bwdDPd = convolution_backward_data::primitive_desc(bdd, attr, e, S->fwdPd);
  convolution_backward_weights::desc bwd(algorithm::convolution_direct, srcMd, wMd, biasMd, dstMd, strides, dil, pl, pr);
  S->bwdWPd = convolution_backward_weights::primitive_desc(bwd, attr, e, S->fwdPd);
  S->fwd = convolution_forward(S->fwdPd);
  S->bwdD = convolution_backward_data(S->bwdDPd);
  S->bwdW = convolution_backward_weights(S->bwdWPd);
  S->uW = memory(userWMd, e, nullptr);
  S->uDiffW = memory(userWMd, e, nullptr);
  S->pWFwd = S->uW;
  S->pWBwdD = S->uW;
  if (S->fwdPd.weights_desc() != userWMd) { S->reFwd = true; S->pWFwd = memory(S->fwdPd.weights_desc(), e); S->rFwd = reorder(S->uW, S->pWFwd); }
  if (S->bwdDPd.weights_desc() != userWMd) { S->reBwdD = true; S->pWBwdD = memory(S->bwdDPd.weights_desc(), e); S->rBwdD = reorder(S->uW, S->pWBwdD); }
  size_t scr = std::max({S->fwdPd.scratchpad_desc().get_size(), S->bwdDPd.scratchpad_desc().get_size(), S->bwdWPd.scratchpad_desc().get_size()});
  memory::desc scrMd({memory::dim(scr > 0 ? scr : 1)}, dt::u8, tag::a);
  for (int p = 0; p < parts; p++) {
    S->src.emplace_back(srcMd, e, nullptr);
    S->dst.emplace_back(dstMd, e, nullptr);
    S->diffSrc.emplace_back(srcMd, e, nullptr);
    S->diffDst.emplace_back(dstMd, e, nullptr);
    S->bias.emplace_back(biasMd, e, nullptr);
    S->pDiffW.emplace_back(S->bwdWPd.diff_weights_desc(), e);
    S->pDiffB.emplace_back(biasMd, e);
    S->scratch.emplace_back(scrMd, e);
    S->streams.emplace_back(e);
  }
  S->reDiffW = S->bwdWPd.diff_weights_desc() != userWMd;
  if (S->reDiffW) S->rDiffW = reorder(S->pDiffW[0], S->uDiffW);
  S->info = std::string("{\"fwd\":\"") + S->fwdPd.impl_info_str() + "\",\"bwdData\":\"" + S->bwdDPd.impl_info_str() + "\",\"bwdWeights\":\"" +
            S->bwdWPd.impl_info_str() + "\",\"parts\":" + std::to_string(parts) + "}";
  return S;
}

// op 0: forward(a = x, b = w, c = bias, d = y); 1: backward-data(a = dy, b = w, d = dx); 2: backward-weights(a = x, b = dy, c = db, d = dw)
void runSplit(Split* S, int op, const float* a, const float* b, float* c, float* d) {
  auto& s0 = strm();
  const int64_t inN = S->sub.B * S->sub.H * S->sub.W * S->sub.Cin, outN = S->sub.B * S->sub.oh * S->sub.ow * S->sub.Cout;
  // Everything on one OpenMP thread per calling thread, the weight reorders included (no OpenMP team ever starts).
  const int ompBefore = omp_get_max_threads();
  omp_set_num_threads(1);
  if (op == 0 && S->reFwd) { setHandle(S->uW, b); S->rFwd.execute(s0, S->uW, S->pWFwd); s0.wait(); }
  if (op == 1 && S->reBwdD) { setHandle(S->uW, b); S->rBwdD.execute(s0, S->uW, S->pWBwdD); s0.wait(); }
  miniPool().run(S->parts, [&](int p) {
    omp_set_num_threads(1);
    stream& st = S->streams[p];
    if (op == 0) {
      setHandle(S->src[p], a + p * inN); setHandle(S->bias[p], c); setHandle(S->dst[p], d + p * outN);
      S->fwd.execute(st, {{DNNL_ARG_SRC, S->src[p]}, {DNNL_ARG_WEIGHTS, S->pWFwd}, {DNNL_ARG_BIAS, S->bias[p]}, {DNNL_ARG_DST, S->dst[p]}, {DNNL_ARG_SCRATCHPAD, S->scratch[p]}});
    } else if (op == 1) {
      setHandle(S->diffDst[p], a + p * outN); setHandle(S->diffSrc[p], d + p * inN);
      S->bwdD.execute(st, {{DNNL_ARG_DIFF_DST, S->diffDst[p]}, {DNNL_ARG_WEIGHTS, S->pWBwdD}, {DNNL_ARG_DIFF_SRC, S->diffSrc[p]}, {DNNL_ARG_SCRATCHPAD, S->scratch[p]}});
    } else {
      setHandle(S->src[p], a + p * inN); setHandle(S->diffDst[p], b + p * outN);
      S->bwdW.execute(st, {{DNNL_ARG_SRC, S->src[p]}, {DNNL_ARG_DIFF_DST, S->diffDst[p]}, {DNNL_ARG_DIFF_WEIGHTS, S->pDiffW[p]}, {DNNL_ARG_DIFF_BIAS, S->pDiffB[p]}, {DNNL_ARG_SCRATCHPAD, S->scratch[p]}});
    }
    st.wait();
  });
  if (op == 2) {
    float* w0 = static_cast<float*>(S->pDiffW[0].get_data_handle());
    float* b0 = static_cast<float*>(S->pDiffB[0].get_data_handle());
    const size_t nw = S->pDiffW[0].get_desc().get_size() / sizeof(float);
    for (int p = 1; p < S->parts; p++) {
      const float* wp = static_cast<float*>(S->pDiffW[p].get_data_handle());
      const float* bp = static_cast<float*>(S->pDiffB[p].get_data_handle());
      for (size_t i = 0; i < nw; i++) w0[i] += wp[i];
      for (int64_t i = 0; i < S->sub.Cout; i++) b0[i] += bp[i];
    }
    setHandle(S->uDiffW, d);
    if (S->reDiffW) { S->rDiffW.execute(s0, S->pDiffW[0], S->uDiffW); s0.wait(); }
    else std::memcpy(d, w0, nw * sizeof(float));
    std::memcpy(c, b0, sizeof(float) * S->sub.Cout);
  }
  omp_set_num_threads(ompBefore);
}

// ------------------------------------------------------------------------------------------------ N-API glue

void throwErr(napi_env env, const std::string& m) { napi_throw_error(env, nullptr, ("dnnl-spike: " + m).c_str()); }

bool floats(napi_env env, napi_value v, float** p) {
  bool is;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type t;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off);
  if (t != napi_float32_array) return false;
  *p = static_cast<float*>(data);
  return true;
}

Prims* handle(napi_env env, napi_value v) {
  void* p = nullptr;
  napi_get_value_external(env, v, &p);
  return static_cast<Prims*>(p);
}

napi_value str(napi_env env, const std::string& s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}

const char* isaName(cpu_isa i) {
  switch (i) {
    case cpu_isa::all: return "all";
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// create(dims Int32Array[15] as packConvDims, weightsAny 0|1) -> external handle (leaked on purpose: a spike)
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_typedarray_type t;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, argv[0], &t, &len, &data, &ab, &off);
  if (t != napi_int32_array || len != 15) { throwErr(env, "dims must be Int32Array[15]"); return nullptr; }
  const int32_t* d = static_cast<int32_t*>(data);
  Conv c{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  int32_t any = 0;
  napi_get_value_int32(env, argv[1], &any);
  try {
    Prims* P = create(c, any != 0);
    napi_value r;
    napi_create_external(env, P, nullptr, nullptr, &r);
    return r;
  } catch (const dnnl::error& e) {
    throwErr(env, std::string("create: ") + e.what());
    return nullptr;
  }
}

napi_value Info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return str(env, handle(env, argv[0])->info);
}

// forward(h, x, w, b, y, reorderW)
napi_value Forward(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *w, *b, *y;
  if (!floats(env, argv[1], &x) || !floats(env, argv[2], &w) || !floats(env, argv[3], &b) || !floats(env, argv[4], &y)) { throwErr(env, "forward args"); return nullptr; }
  bool re = true;
  if (argc > 5) napi_get_value_bool(env, argv[5], &re);
  forward(handle(env, argv[0]), x, w, b, y, re);
  return nullptr;
}

// backwardData(h, dy, w, dx, reorderW)
napi_value BackwardData(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *dy, *w, *dx;
  if (!floats(env, argv[1], &dy) || !floats(env, argv[2], &w) || !floats(env, argv[3], &dx)) { throwErr(env, "backwardData args"); return nullptr; }
  bool re = true;
  if (argc > 4) napi_get_value_bool(env, argv[4], &re);
  backwardData(handle(env, argv[0]), dy, w, dx, re);
  return nullptr;
}

// backwardWeights(h, x, dy, dw, db)
napi_value BackwardWeights(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *dy, *dw, *db;
  if (!floats(env, argv[1], &x) || !floats(env, argv[2], &dy) || !floats(env, argv[3], &dw) || !floats(env, argv[4], &db)) { throwErr(env, "backwardWeights args"); return nullptr; }
  backwardWeights(handle(env, argv[0]), x, dy, dw, db);
  return nullptr;
}

// reorderWeights(h, w): only the per-call weight reorders (forward's and backward-data's), to time them alone.
napi_value ReorderWeights(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Prims* P = handle(env, argv[0]);
  float* w;
  if (!floats(env, argv[1], &w)) { throwErr(env, "reorderWeights args"); return nullptr; }
  setHandle(P->uW, w);
  auto& s = strm();
  if (P->reFwd) P->rFwd.execute(s, P->uW, P->pWFwd);
  if (P->reBwdD) P->rBwdD.execute(s, P->uW, P->pWBwdD);
  s.wait();
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 1;
  napi_get_value_int32(env, argv[0], &n);
  omp_set_num_threads(n);
  return nullptr;
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_int32(env, omp_get_max_threads(), &r);
  return r;
}

// setMaxIsa(name): "avx2", "avx512_core", "all" -> "ok" or the error (only before the first primitive is created)
napi_value SetMaxIsa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char buf[64];
  size_t n;
  napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &n);
  std::string s(buf, n);
  cpu_isa isa = s == "avx2" ? cpu_isa::avx2 : s == "avx512_core" ? cpu_isa::avx512_core : s == "sse41" ? cpu_isa::sse41 : cpu_isa::all;
  try {
    set_max_cpu_isa(isa);
    return str(env, "ok");
  } catch (const dnnl::error& e) {
    return str(env, std::string("error: ") + e.what());
  }
}

napi_value EffectiveIsa(napi_env env, napi_callback_info) { return str(env, isaName(get_effective_cpu_isa())); }

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  return str(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " cpu_runtime=" +
                      (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OMP" : std::to_string(v->cpu_runtime)));
}


// createSplit(dims, parts) -> external
napi_value CreateSplit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_typedarray_type t;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, argv[0], &t, &len, &data, &ab, &off);
  const int32_t* d = static_cast<int32_t*>(data);
  Conv c{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  int32_t parts = 1;
  napi_get_value_int32(env, argv[1], &parts);
  if (parts < 1 || c.B % parts != 0) { throwErr(env, "parts must divide the batch"); return nullptr; }
  try {
    Split* S = createSplit(c, parts);
    napi_value r;
    napi_create_external(env, S, nullptr, nullptr, &r);
    return r;
  } catch (const dnnl::error& e) {
    throwErr(env, std::string("createSplit: ") + e.what());
    return nullptr;
  }
}

napi_value SplitInfo(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* p = nullptr;
  napi_get_value_external(env, argv[0], &p);
  return str(env, static_cast<Split*>(p)->info);
}

// runSplit(h, op 0|1|2, a, b, c, d): see runSplit (c / b may be any Float32Array where unused)
napi_value RunSplit(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* h = nullptr;
  napi_get_value_external(env, argv[0], &h);
  int32_t op;
  napi_get_value_int32(env, argv[1], &op);
  float *a, *b, *c, *d;
  if (!floats(env, argv[2], &a) || !floats(env, argv[3], &b) || !floats(env, argv[4], &c) || !floats(env, argv[5], &d)) { throwErr(env, "runSplit args"); return nullptr; }
  runSplit(static_cast<Split*>(h), op, a, b, c, d);
  return nullptr;
}

napi_value SetSplitThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 1;
  napi_get_value_int32(env, argv[0], &n);
  miniPool().resize(n);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"forward", nullptr, Forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"backwardData", nullptr, BackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"backwardWeights", nullptr, BackwardWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reorderWeights", nullptr, ReorderWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getThreads", nullptr, GetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setMaxIsa", nullptr, SetMaxIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"effectiveIsa", nullptr, EffectiveIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createSplit", nullptr, CreateSplit, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"splitInfo", nullptr, SplitInfo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"runSplit", nullptr, RunSplit, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setSplitThreads", nullptr, SetSplitThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
