// Prototype (issue #7): is a native BLAS worth a Node addon? One N-API function over OpenBLAS's cblas_sgemm that
// reads and writes Float32Array views in place — including views into the wasm backend's heap, so a wasm kernel
// could hand its buffers to native code without copies.
//   g++ -O2 -shared -fPIC -I/usr/include/node bench/native/sgemm.cc -lopenblas -o bench/native/build/sgemm.node
// sgemm(transA, transB, M, N, K, alpha, A, B, beta, C, threads): C = alpha·op(A)·op(B) + beta·C, row-major.
#include <node_api.h>
#include <cblas.h>

extern "C" void openblas_set_num_threads(int);

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 11) { napi_throw_error(env, nullptr, "sgemm: expected 11 arguments"); return nullptr; }
  bool ta, tb;
  int32_t M, N, K, threads;
  double alpha, beta;
  napi_get_value_bool(env, argv[0], &ta);
  napi_get_value_bool(env, argv[1], &tb);
  napi_get_value_int32(env, argv[2], &M);
  napi_get_value_int32(env, argv[3], &N);
  napi_get_value_int32(env, argv[4], &K);
  napi_get_value_double(env, argv[5], &alpha);
  napi_get_value_double(env, argv[8], &beta);
  napi_get_value_int32(env, argv[10], &threads);
  float* p[3];
  size_t len[3];
  const int idx[3] = {6, 7, 9};
  for (int i = 0; i < 3; i++) {
    napi_typedarray_type type;
    napi_value ab;
    size_t off;
    void* data;
    if (napi_get_typedarray_info(env, argv[idx[i]], &type, &len[i], &data, &ab, &off) != napi_ok || type != napi_float32_array) {
      napi_throw_type_error(env, nullptr, "sgemm: A, B and C must be Float32Arrays");
      return nullptr;
    }
    p[i] = static_cast<float*>(data);
  }
  if (len[0] < (size_t)M * K || len[1] < (size_t)K * N || len[2] < (size_t)M * N) {
    napi_throw_range_error(env, nullptr, "sgemm: an array is shorter than its M/N/K shape");
    return nullptr;
  }
  openblas_set_num_threads(threads);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, (float)alpha,
              p[0], ta ? M : K, p[1], tb ? K : N, (float)beta, p[2], N);
  return nullptr;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, Sgemm, nullptr, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
