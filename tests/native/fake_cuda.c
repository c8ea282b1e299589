/*
 * A fake libcuda.so.1 for testing deploy/gpu-probe on machines without a GPU.
 * Build: bash tests/native/build-fake-cuda.sh OUT_DIR   (gcc -shared -fPIC)
 *
 * Exports the CUDA driver functions the probe binds, with the driver's C signatures and result codes, and
 * simulates one kind of device, read from the environment at cuInit:
 *   FAKE_CUDA_INIT_RESULT   what cuInit returns (default 0; 100 = CUDA_ERROR_NO_DEVICE)
 *   FAKE_CUDA_NAME          device name (default "Fake H100")
 *   FAKE_CUDA_SMS           the device's multiprocessor count (default 132)
 *   FAKE_CUDA_SM_LIMIT      SMs a context may run on, as MPS would give it (default all)
 *   FAKE_CUDA_AFFINITY      0: cuCtxGetExecAffinity answers NOT_SUPPORTED (default 1)
 *   FAKE_CUDA_MEMORY        device memory in bytes (default 80 GiB)
 *   FAKE_CUDA_MEMORY_LIMIT  bytes cuMemAlloc gives in total before OUT_OF_MEMORY (default all)
 *   FAKE_CUDA_KERNEL_MS     simulated time of `burn` over 2^20 iterations on every SM (default 40), scaled by the
 *                           iterations and by FAKE_CUDA_SMS / FAKE_CUDA_SM_LIMIT
 * Kernels run on the host: record_smid writes SM ids (block b runs on SM b mod limit, spread over the device's
 * ids), burn advances a simulated clock that events read. cuModuleLoadData accepts only PTX that defines both
 * entries. Allocations above 64 MiB are never touched by the probe, so they get address space, not memory.
 * At exit it prints to stderr what was left allocated or created.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef struct { int type; unsigned int value; } CUexecAffinityParam;

enum {
    CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101, CUDA_ERROR_INVALID_PTX = 218, CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500, CUDA_ERROR_NOT_SUPPORTED = 801,
};

static int initialized;
static char name[256];
static int sms, sm_limit, affinity;
static unsigned long long memory, memory_limit, allocated;
static double kernel_ms, clock_ms;
static int contexts, modules, events, live_allocations;

static long long env_number(const char *key, long long fallback)
{
    const char *value = getenv(key);
    return value && *value ? atoll(value) : fallback;
}

CUresult cuInit(unsigned int flags)
{
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    CUresult result = (CUresult)env_number("FAKE_CUDA_INIT_RESULT", 0);
    if (result != CUDA_SUCCESS) return result;
    snprintf(name, sizeof name, "%s", getenv("FAKE_CUDA_NAME") ? getenv("FAKE_CUDA_NAME") : "Fake H100");
    sms = (int)env_number("FAKE_CUDA_SMS", 132);
    sm_limit = (int)env_number("FAKE_CUDA_SM_LIMIT", sms);
    affinity = (int)env_number("FAKE_CUDA_AFFINITY", 1);
    memory = (unsigned long long)env_number("FAKE_CUDA_MEMORY", 80LL << 30);
    memory_limit = (unsigned long long)env_number("FAKE_CUDA_MEMORY_LIMIT", (long long)memory);
    kernel_ms = (double)env_number("FAKE_CUDA_KERNEL_MS", 40);
    initialized = 1;
    return CUDA_SUCCESS;
}

#define READY() do { if (!initialized) return CUDA_ERROR_NOT_INITIALIZED; } while (0)

CUresult cuDeviceGetCount(int *count) { READY(); if (!count) return CUDA_ERROR_INVALID_VALUE; *count = 1; return CUDA_SUCCESS; }

CUresult cuDeviceGet(int *device, int ordinal)
{
    READY();
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *out, int length, int device)
{
    READY();
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!out || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(out, (size_t)length, "%s", name);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device)
{
    READY();
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!value || attribute != 16 /* MULTIPROCESSOR_COUNT, the only one the probe asks */) return CUDA_ERROR_INVALID_VALUE;
    *value = sms;
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, int device)
{
    READY();
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = memory;
    return CUDA_SUCCESS;
}

CUresult cuCtxCreate_v2(void **context, unsigned int flags, int device)
{
    READY();
    (void)flags;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *context = &contexts;
    contexts++;
    return CUDA_SUCCESS;
}

CUresult cuCtxDestroy_v2(void *context) { if (context != &contexts || contexts == 0) return CUDA_ERROR_INVALID_HANDLE; contexts--; return CUDA_SUCCESS; }

CUresult cuCtxSynchronize(void) { return contexts ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

CUresult cuCtxGetExecAffinity(CUexecAffinityParam *param, int type)
{
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    if (!affinity) return CUDA_ERROR_NOT_SUPPORTED;
    if (!param || type != 0) return CUDA_ERROR_INVALID_VALUE;
    param->type = 0;
    param->value = (unsigned)sm_limit;
    return CUDA_SUCCESS;
}

static char record_smid_fn[] = "record_smid", burn_fn[] = "burn";

CUresult cuModuleLoadData(void **module, const void *image)
{
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    const char *ptx = image;
    if (!strstr(ptx, ".version ") || !strstr(ptx, ".entry record_smid(") || !strstr(ptx, ".entry burn(") || !strstr(ptx, "%smid"))
        return CUDA_ERROR_INVALID_PTX;
    *module = &modules;
    modules++;
    return CUDA_SUCCESS;
}

CUresult cuModuleUnload(void *module) { if (module != &modules || modules == 0) return CUDA_ERROR_INVALID_HANDLE; modules--; return CUDA_SUCCESS; }

CUresult cuModuleGetFunction(void **function, void *module, const char *fn)
{
    if (module != &modules || !modules) return CUDA_ERROR_INVALID_HANDLE;
    if (!strcmp(fn, record_smid_fn)) *function = record_smid_fn;
    else if (!strcmp(fn, burn_fn)) *function = burn_fn;
    else return CUDA_ERROR_NOT_FOUND;
    return CUDA_SUCCESS;
}

enum { SMALL = 64 << 20 };
static unsigned long long next_fake_address = 1ULL << 62;

typedef struct { unsigned long long size; } header;

/* Sizes of big (address-space-only) allocations, found again by address on free. */
static struct { CUdeviceptr address; unsigned long long size; } big[16384];
static int big_count;

static int is_big(CUdeviceptr pointer) { return pointer >= (1ULL << 62); }


CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t size)
{
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    if (!pointer || size == 0) return CUDA_ERROR_INVALID_VALUE;
    if (allocated + size > memory_limit) return CUDA_ERROR_OUT_OF_MEMORY;
    if (size <= SMALL) {
        header *block = malloc(sizeof(header) + size);
        if (!block) return CUDA_ERROR_OUT_OF_MEMORY;
        block->size = size;
        *pointer = (CUdeviceptr)(block + 1);
    } else {
        /* Address space only: the size is kept in a side table keyed by address. */
        if (big_count == (int)(sizeof big / sizeof big[0])) return CUDA_ERROR_OUT_OF_MEMORY;
        big[big_count].address = *pointer = next_fake_address;
        big[big_count++].size = size;
        next_fake_address += (size + 0xFFFF) & ~0xFFFFULL;
    }
    allocated += size;
    live_allocations++;
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr pointer)
{
    if (!pointer) return CUDA_ERROR_INVALID_VALUE;
    if (is_big(pointer)) {
        for (int i = 0; i < big_count; i++) {
            if (big[i].address == pointer) {
                allocated -= big[i].size;
                big[i] = big[--big_count];
                live_allocations--;
                return CUDA_SUCCESS;
            }
        }
        return CUDA_ERROR_INVALID_VALUE;
    }
    header *block = (header *)pointer - 1;
    allocated -= block->size;
    free(block);
    live_allocations--;
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t size)
{
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    if (is_big(source) || size > ((header *)source - 1)->size) return CUDA_ERROR_INVALID_VALUE;
    memcpy(destination, (void *)source, size);
    return CUDA_SUCCESS;
}

CUresult cuMemsetD32_v2(CUdeviceptr pointer, unsigned int value, size_t count)
{
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    if (is_big(pointer) || count * 4 > ((header *)pointer - 1)->size) return CUDA_ERROR_INVALID_VALUE;
    for (size_t i = 0; i < count; i++) ((unsigned *)pointer)[i] = value;
    return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void *stream, void **params, void **extra)
{
    (void)gy; (void)gz; (void)by; (void)bz; (void)shared; (void)stream; (void)extra;
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    if (!params || gx == 0 || bx == 0 || bx > 1024) return CUDA_ERROR_INVALID_VALUE;
    CUdeviceptr out = *(CUdeviceptr *)params[0];
    if (function == record_smid_fn) {
        if (is_big(out) || gx * 4ULL > ((header *)out - 1)->size) return CUDA_ERROR_INVALID_VALUE;
        /* The limit's SMs are spread over the device's ids, as MPS does not hand out the first ones only. */
        int stride = sm_limit > 0 ? sms / sm_limit : 1;
        for (unsigned b = 0; b < gx; b++) ((unsigned *)out)[b] = (b % (unsigned)sm_limit) * (unsigned)(stride > 0 ? stride : 1);
        return CUDA_SUCCESS;
    }
    if (function == burn_fn) {
        unsigned iterations = *(unsigned *)params[1];
        if (is_big(out) || (unsigned long long)gx * bx * 4 > ((header *)out - 1)->size) return CUDA_ERROR_INVALID_VALUE;
        clock_ms += kernel_ms * ((double)iterations / (1 << 20)) * ((double)sms / sm_limit) * ((double)gx / (sms * 8.0));
        return CUDA_SUCCESS;
    }
    return CUDA_ERROR_INVALID_HANDLE;
}

CUresult cuEventCreate(void **event, unsigned int flags)
{
    (void)flags;
    if (!contexts) return CUDA_ERROR_INVALID_HANDLE;
    double *recorded = calloc(1, sizeof(double));
    *event = recorded;
    events++;
    return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(void *event) { if (!event) return CUDA_ERROR_INVALID_HANDLE; free(event); events--; return CUDA_SUCCESS; }
CUresult cuEventRecord(void *event, void *stream) { (void)stream; if (!event) return CUDA_ERROR_INVALID_HANDLE; *(double *)event = clock_ms; return CUDA_SUCCESS; }
CUresult cuEventSynchronize(void *event) { return event ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

CUresult cuEventElapsedTime(float *ms, void *start, void *stop)
{
    if (!start || !stop || !ms) return CUDA_ERROR_INVALID_HANDLE;
    *ms = (float)(*(double *)stop - *(double *)start);
    return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char **text)
{
    switch (error) {
    case CUDA_SUCCESS: *text = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *text = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case 100: *text = "CUDA_ERROR_NO_DEVICE"; break;
    case CUDA_ERROR_INVALID_PTX: *text = "CUDA_ERROR_INVALID_PTX"; break;
    default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

__attribute__((destructor)) static void report_leaks(void)
{
    if (contexts || modules || events || live_allocations)
        fprintf(stderr, "fake-cuda: left behind %d context(s), %d module(s), %d event(s), %d allocation(s)\n",
                contexts, modules, events, live_allocations);
}
