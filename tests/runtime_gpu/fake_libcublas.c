/* A stand-in for libcublas with the entry points runtime/gpu/cublas.py uses, for machines without
   a GPU: "device memory" is host memory (fake_libcuda.c's cuMemAlloc is malloc), GEMMs are plain
   column-major loops with cuBLAS's argument checks, and the last GEMM's arguments are logged
   (gemm_log) so tests see what crossed the ctypes boundary. See test_gpu_cublas_library.py. */
#include <stdint.h>
#include <stdlib.h>
typedef int st_t;
static int handles = 0;
int64_t gemm_log[20];
void *stream_set = (void *)-1;
int pointer_mode = -1, math_mode = -1;
st_t cublasCreate_v2(void **h) { if (getenv("FAKE_CUBLAS_NO_INIT")) return 1; *h = (void *)(intptr_t)(0x100 + ++handles); return 0; }
st_t cublasDestroy_v2(void *h) { return 0; }
st_t cublasGetVersion_v2(void *h, int *v) { *v = 120901; return 0; }
st_t cublasSetStream_v2(void *h, void *s) { stream_set = s; return 0; }
st_t cublasSetPointerMode_v2(void *h, int m) { pointer_mode = m; return 0; }
st_t cublasSetMathMode(void *h, int m) { math_mode = m; return 0; }
const char *cublasGetStatusName(int s) { return s == 7 ? "CUBLAS_STATUS_INVALID_VALUE" : s == 1 ? "CUBLAS_STATUS_NOT_INITIALIZED" : "CUBLAS_STATUS_OTHER"; }

#define GEMM(NAME, T, BATCHED_ARGS, SA, SB, SC, COUNT)                                              \
st_t NAME(void *h, int ta, int tb, int m, int n, int k, const T *alpha, const T *A, int lda       \
          BATCHED_ARGS) {                                                                          \
  int ar = ta ? k : m, br = tb ? n : k;                                                            \
  gemm_log[0] = ta; gemm_log[1] = tb; gemm_log[2] = m; gemm_log[3] = n; gemm_log[4] = k;           \
  gemm_log[5] = lda; gemm_log[6] = ldb; gemm_log[7] = ldc; gemm_log[8] = SA; gemm_log[9] = SB;    \
  gemm_log[10] = SC; gemm_log[11] = COUNT; gemm_log[12] = (int64_t)(intptr_t)h;                    \
  if (m < 0 || n < 0 || k < 0 || lda < (ar > 1 ? ar : 1) || ldb < (br > 1 ? br : 1) ||             \
      ldc < (m > 1 ? m : 1)) return 7;                                                             \
  for (int b = 0; b < COUNT; b++)                                                                  \
    for (int j = 0; j < n; j++)                                                                    \
      for (int i = 0; i < m; i++) {                                                                \
        T acc = 0;                                                                                 \
        for (int p = 0; p < k; p++) {                                                              \
          T x = ta ? A[b * (SA) + p + (int64_t)i * lda] : A[b * (SA) + i + (int64_t)p * lda];     \
          T y = tb ? B[b * (SB) + j + (int64_t)p * ldb] : B[b * (SB) + p + (int64_t)j * ldb];     \
          acc += x * y;                                                                            \
        }                                                                                          \
        T *c = &C[b * (SC) + i + (int64_t)j * ldc];                                                \
        *c = *alpha * acc + (*beta != 0 ? *beta * *c : 0);                                         \
      }                                                                                            \
  return 0; }

#define PLAIN(T) , const T *B, int ldb, const T *beta, T *C, int ldc
#define STRIDED(T) , long long sa, const T *B, int ldb, long long sb, const T *beta, T *C, int ldc, \
  long long sc, int count
GEMM(cublasSgemm_v2, float, PLAIN(float), 0, 0, 0, 1)
GEMM(cublasDgemm_v2, double, PLAIN(double), 0, 0, 0, 1)
GEMM(cublasSgemmStridedBatched, float, STRIDED(float), sa, sb, sc, count)
GEMM(cublasDgemmStridedBatched, double, STRIDED(double), sa, sb, sc, count)
