/* A stand-in for libcuda.so.1 with the entry points runtime/gpu/driver.py uses: device memory is
   host memory, modules are remembered, launches are logged (not run). It checks the ctypes glue
   (argument types, the load path chosen) where there is no GPU; see test_gpu_runtime_fake_driver.py.
   The driver version comes from $FAKE_CUDA_DRIVER_VERSION (default 12040). */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
typedef int CUresult;
CUresult cuInit(unsigned f) { return 0; }
CUresult cuDriverGetVersion(int *v) { const char *e = getenv("FAKE_CUDA_DRIVER_VERSION"); *v = e ? atoi(e) : 12040; return 0; }
CUresult cuDeviceGetCount(int *c) { *c = 1; return 0; }
CUresult cuDeviceGet(int *d, int o) { *d = o; return 0; }
CUresult cuDeviceGetName(char *n, int len, int d) { strncpy(n, "Fake H100", len); return 0; }
CUresult cuDeviceGetAttribute(int *v, int a, int d) { *v = a == 75 ? 9 : a == 76 ? 0 : a == 16 ? 132 : 232448; return 0; }
CUresult cuDevicePrimaryCtxRetain(void **c, int d) { *c = (void*)0x1234; return 0; }
CUresult cuCtxSetCurrent(void *c) { return c == (void*)0x1234 ? 0 : 201; }
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuMemAlloc_v2(uint64_t *p, size_t n) { *p = (uint64_t)malloc(n); return *p ? 0 : 2; }
CUresult cuMemFree_v2(uint64_t p) { free((void*)p); return 0; }
CUresult cuMemcpyHtoD_v2(uint64_t d, const void *s, size_t n) { memcpy((void*)d, s, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *d, uint64_t s, size_t n) { memcpy(d, (void*)s, n); return 0; }
CUresult cuMemcpyDtoD_v2(uint64_t d, uint64_t s, size_t n) { memcpy((void*)d, (void*)s, n); return 0; }
int loaded_kind = 0;  /* 1 cubin, 2 ptx */
CUresult cuModuleLoadData(void **m, const void *img) { loaded_kind = memcmp(img, "\x7f" "ELF", 4) == 0 ? 1 : 2; *m = (void*)0x77; return 0; }
CUresult cuModuleLoadDataEx(void **m, const void *img, unsigned n, int *o, void **v) { loaded_kind = 2; *m = (void*)0x78; return 0; }
CUresult cuModuleUnload(void *m) { return 0; }
char last_fn[256];
CUresult cuModuleGetFunction(void **f, void *m, const char *name) { strncpy(last_fn, name, 255); *f = (void*)0x99; return strcmp(name, "missing") ? 0 : 500; }
CUresult cuFuncSetAttribute(void *f, int a, int v) { return 0; }
uint64_t launch_log[16];
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned sh, void *st, void **params, void **extra) {
  launch_log[0] = gx; launch_log[1] = bx; launch_log[2] = sh;
  launch_log[3] = *(uint64_t*)params[0]; launch_log[4] = *(uint32_t*)params[1];
  return bx > 1024 ? 1 : 0; }
CUresult cuGetErrorName(int e, const char **s) { *s = e == 500 ? "CUDA_ERROR_NOT_FOUND" : e == 1 ? "CUDA_ERROR_INVALID_VALUE" : "CUDA_ERROR_UNKNOWN"; return 0; }
CUresult cuGetErrorString(int e, const char **s) { *s = "fake"; return 0; }
