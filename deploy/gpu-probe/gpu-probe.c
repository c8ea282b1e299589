/*
 * gpu-probe: what a process inside a Granary session can really get of its GPU.
 *
 * Loads the CUDA driver (libcuda.so.1) at run time, so it builds with gcc alone (no CUDA toolkit), and carries
 * its kernels as PTX text that the driver compiles. Reports, as one JSON object on stdout:
 *   smTotal                 the device's multiprocessor count (cuDeviceGetAttribute)
 *   smAffinity              the SMs the context may use (cuCtxGetExecAffinity; null where unsupported)
 *   smSeen                  distinct SMs a kernel that records %smid actually ran on
 *   memoryTotalBytes        the device's memory
 *   memoryAllocatableBytes  the most cuMemAlloc gives before it fails (chunks halving from 1 GiB to 16 MiB)
 *   kernelMs                the fastest of 3 runs of a fixed compute-bound kernel (sized for the whole device)
 *   timeRatio               kernelMs / --reference-ms (a whole GPU's kernelMs), when given
 * With --share S it also says what a share S should see and whether it did (checks, pass).
 *
 * Usage: gpu-probe [--device N] [--share S] [--reference-ms MS] [--iterations N] [--start-at UNIX_SECONDS]
 * Exit codes: 0 measured (and passed, with --share), 1 measured but a check failed, 2 could not measure.
 * Build: deploy/gpu-probe/build.sh OUT_DIR
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef void *CUevent;
typedef unsigned long long CUdeviceptr;
typedef struct { int type; unsigned int value; } CUexecAffinityParam; /* CU_EXEC_AFFINITY_TYPE_SM_COUNT = 0 */

enum { CUDA_SUCCESS = 0, CUDA_ERROR_OUT_OF_MEMORY = 2 };
enum { ATTRIBUTE_MULTIPROCESSOR_COUNT = 16 };

static const char PTX[] =
    ".version 7.0\n"
    ".target sm_70\n"
    ".address_size 64\n"
    "\n"
    "// Thread 0 of each block records the SM it runs on; every thread then spins for the given clock cycles,\n"
    "// so blocks stay resident long enough to spread over every SM the context may use.\n"
    ".visible .entry record_smid(\n"
    "\t.param .u64 record_smid_param_0,\n"
    "\t.param .u64 record_smid_param_1\n"
    ")\n"
    "{\n"
    "\t.reg .pred %p<3>;\n"
    "\t.reg .b32 %r<4>;\n"
    "\t.reg .b64 %rd<8>;\n"
    "\tld.param.u64 %rd1, [record_smid_param_0];\n"
    "\tld.param.u64 %rd2, [record_smid_param_1];\n"
    "\tcvta.to.global.u64 %rd3, %rd1;\n"
    "\tmov.u32 %r1, %tid.x;\n"
    "\tsetp.ne.s32 %p1, %r1, 0;\n"
    "\t@%p1 bra $L_spin;\n"
    "\tmov.u32 %r2, %smid;\n"
    "\tmov.u32 %r3, %ctaid.x;\n"
    "\tmul.wide.u32 %rd4, %r3, 4;\n"
    "\tadd.s64 %rd5, %rd3, %rd4;\n"
    "\tst.global.u32 [%rd5], %r2;\n"
    "$L_spin:\n"
    "\tmov.u64 %rd6, %clock64;\n"
    "$L_wait:\n"
    "\tmov.u64 %rd7, %clock64;\n"
    "\tsub.s64 %rd7, %rd7, %rd6;\n"
    "\tsetp.lt.u64 %p2, %rd7, %rd2;\n"
    "\t@%p2 bra $L_wait;\n"
    "\tret;\n"
    "}\n"
    "\n"
    "// Compute-bound: four independent FMA chains per thread, iterations given; the result is stored so that\n"
    "// nothing is optimised away.\n"
    ".visible .entry burn(\n"
    "\t.param .u64 burn_param_0,\n"
    "\t.param .u32 burn_param_1\n"
    ")\n"
    "{\n"
    "\t.reg .pred %p<2>;\n"
    "\t.reg .b32 %r<8>;\n"
    "\t.reg .f32 %f<8>;\n"
    "\t.reg .b64 %rd<5>;\n"
    "\tld.param.u64 %rd1, [burn_param_0];\n"
    "\tld.param.u32 %r1, [burn_param_1];\n"
    "\tcvta.to.global.u64 %rd2, %rd1;\n"
    "\tmov.u32 %r2, %ctaid.x;\n"
    "\tmov.u32 %r3, %ntid.x;\n"
    "\tmov.u32 %r4, %tid.x;\n"
    "\tmad.lo.s32 %r5, %r2, %r3, %r4;\n"
    "\tcvt.rn.f32.u32 %f1, %r5;\n"
    "\tadd.f32 %f2, %f1, 0f3F800000;\n"
    "\tadd.f32 %f3, %f1, 0f40000000;\n"
    "\tadd.f32 %f4, %f1, 0f40400000;\n"
    "\tmov.u32 %r6, 0;\n"
    "$L_burn:\n"
    "\tfma.rn.f32 %f1, %f1, 0f3F7FF972, 0f3A83126F;\n"
    "\tfma.rn.f32 %f2, %f2, 0f3F7FF972, 0f3A83126F;\n"
    "\tfma.rn.f32 %f3, %f3, 0f3F7FF972, 0f3A83126F;\n"
    "\tfma.rn.f32 %f4, %f4, 0f3F7FF972, 0f3A83126F;\n"
    "\tadd.s32 %r6, %r6, 1;\n"
    "\tsetp.lt.u32 %p1, %r6, %r1;\n"
    "\t@%p1 bra $L_burn;\n"
    "\tadd.f32 %f5, %f1, %f2;\n"
    "\tadd.f32 %f6, %f3, %f4;\n"
    "\tadd.f32 %f7, %f5, %f6;\n"
    "\tmul.wide.u32 %rd3, %r5, 4;\n"
    "\tadd.s64 %rd4, %rd2, %rd3;\n"
    "\tst.global.f32 [%rd4], %f7;\n"
    "\tret;\n"
    "}\n";

static struct {
    CUresult (*Init)(unsigned int);
    CUresult (*DeviceGetCount)(int *);
    CUresult (*DeviceGet)(CUdevice *, int);
    CUresult (*DeviceGetName)(char *, int, CUdevice);
    CUresult (*DeviceGetAttribute)(int *, int, CUdevice);
    CUresult (*DeviceTotalMem)(size_t *, CUdevice);
    CUresult (*CtxCreate)(CUcontext *, unsigned int, CUdevice);
    CUresult (*CtxDestroy)(CUcontext);
    CUresult (*CtxSynchronize)(void);
    CUresult (*ModuleLoadData)(CUmodule *, const void *);
    CUresult (*ModuleUnload)(CUmodule);
    CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
    CUresult (*MemAlloc)(CUdeviceptr *, size_t);
    CUresult (*MemFree)(CUdeviceptr);
    CUresult (*MemcpyDtoH)(void *, CUdeviceptr, size_t);
    CUresult (*MemsetD32)(CUdeviceptr, unsigned int, size_t);
    CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void **, void **);
    CUresult (*EventCreate)(CUevent *, unsigned int);
    CUresult (*EventDestroy)(CUevent);
    CUresult (*EventRecord)(CUevent, CUstream);
    CUresult (*EventSynchronize)(CUevent);
    CUresult (*EventElapsedTime)(float *, CUevent, CUevent);
    CUresult (*GetErrorName)(CUresult, const char **);         /* optional */
    CUresult (*CtxGetExecAffinity)(CUexecAffinityParam *, int); /* optional: CUDA 11.4+ */
} cu;

static char failure[512];

static int fail(const char *what, CUresult result)
{
    const char *name = NULL;
    if (!cu.GetErrorName || cu.GetErrorName(result, &name) != CUDA_SUCCESS || !name)
        name = "CUDA error";
    snprintf(failure, sizeof failure, "%s failed: %s (%d)", what, name, result);
    return 0;
}

#define CHECK(call, what) do { CUresult r_ = (call); if (r_ != CUDA_SUCCESS) return fail(what, r_); } while (0)

static int load_driver(void)
{
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(failure, sizeof failure, "libcuda.so.1 cannot be loaded (no NVIDIA driver in this container?): %s", dlerror());
        return 0;
    }
    struct { void **slot; const char *name; int required; } symbols[] = {
        { (void **)&cu.Init, "cuInit", 1 },
        { (void **)&cu.DeviceGetCount, "cuDeviceGetCount", 1 },
        { (void **)&cu.DeviceGet, "cuDeviceGet", 1 },
        { (void **)&cu.DeviceGetName, "cuDeviceGetName", 1 },
        { (void **)&cu.DeviceGetAttribute, "cuDeviceGetAttribute", 1 },
        { (void **)&cu.DeviceTotalMem, "cuDeviceTotalMem_v2", 1 },
        { (void **)&cu.CtxCreate, "cuCtxCreate_v2", 1 },
        { (void **)&cu.CtxDestroy, "cuCtxDestroy_v2", 1 },
        { (void **)&cu.CtxSynchronize, "cuCtxSynchronize", 1 },
        { (void **)&cu.ModuleLoadData, "cuModuleLoadData", 1 },
        { (void **)&cu.ModuleUnload, "cuModuleUnload", 1 },
        { (void **)&cu.ModuleGetFunction, "cuModuleGetFunction", 1 },
        { (void **)&cu.MemAlloc, "cuMemAlloc_v2", 1 },
        { (void **)&cu.MemFree, "cuMemFree_v2", 1 },
        { (void **)&cu.MemcpyDtoH, "cuMemcpyDtoH_v2", 1 },
        { (void **)&cu.MemsetD32, "cuMemsetD32_v2", 1 },
        { (void **)&cu.LaunchKernel, "cuLaunchKernel", 1 },
        { (void **)&cu.EventCreate, "cuEventCreate", 1 },
        { (void **)&cu.EventDestroy, "cuEventDestroy_v2", 1 },
        { (void **)&cu.EventRecord, "cuEventRecord", 1 },
        { (void **)&cu.EventSynchronize, "cuEventSynchronize", 1 },
        { (void **)&cu.EventElapsedTime, "cuEventElapsedTime", 1 },
        { (void **)&cu.GetErrorName, "cuGetErrorName", 0 },
        { (void **)&cu.CtxGetExecAffinity, "cuCtxGetExecAffinity", 0 },
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        *symbols[i].slot = dlsym(lib, symbols[i].name);
        if (!*symbols[i].slot && symbols[i].required) {
            snprintf(failure, sizeof failure, "libcuda.so.1 has no %s (driver too old?)", symbols[i].name);
            return 0;
        }
    }
    return 1;
}

typedef struct {
    char name[256];
    int sm_total, sm_affinity, sm_seen;
    size_t memory_total, memory_allocatable;
    double kernel_ms;
} measurement;

/* Distinct SM ids the record_smid kernel ran on, over 4 blocks per SM of the device. */
static int count_sms(CUfunction record, int sm_total, int *seen)
{
    unsigned blocks = (unsigned)sm_total * 4;
    CUdeviceptr ids;
    CHECK(cu.MemAlloc(&ids, blocks * sizeof(unsigned)), "cuMemAlloc (SM ids)");
    unsigned long long spin = 200000; /* clock cycles: ~0.1 ms */
    void *params[] = { &ids, &spin };
    CUresult r = cu.MemsetD32(ids, 0xFFFFFFFFu, blocks);
    if (r == CUDA_SUCCESS) r = cu.LaunchKernel(record, blocks, 1, 1, 32, 1, 1, 0, NULL, params, NULL);
    if (r == CUDA_SUCCESS) r = cu.CtxSynchronize();
    unsigned *host = calloc(blocks, sizeof(unsigned));
    if (r == CUDA_SUCCESS) r = cu.MemcpyDtoH(host, ids, blocks * sizeof(unsigned));
    cu.MemFree(ids);
    if (r != CUDA_SUCCESS) {
        free(host);
        return fail("recording SM ids", r);
    }
    unsigned char used[4096] = { 0 };
    int distinct = 0;
    for (unsigned b = 0; b < blocks; b++) {
        if (host[b] < sizeof used && !used[host[b]]) {
            used[host[b]] = 1;
            distinct++;
        }
    }
    free(host);
    *seen = distinct;
    return 1;
}

/* Sleeps until the wall clock reads unix_seconds; asks the clock again after each sleep, as a signal or a wall clock
 * being slewed can end a sleep early. */
static void wait_until(double unix_seconds)
{
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double left = unix_seconds - ((double)now.tv_sec + now.tv_nsec / 1e9);
        if (left <= 0 || left >= 3600) return;
        struct timespec pause = { (time_t)left, (long)((left - (time_t)left) * 1e9) };
        nanosleep(&pause, NULL);
    }
}

/* The fastest of 3 timed runs of burn over 8 blocks of 256 threads per SM of the whole device (a fixed amount of
 * work, whatever share of it the context gets), after one short warm-up run. */
static int time_kernel(CUfunction burn, int sm_total, unsigned iterations, double start_at, double *ms)
{
    unsigned blocks = (unsigned)sm_total * 8, threads = 256;
    CUdeviceptr out;
    CHECK(cu.MemAlloc(&out, (size_t)blocks * threads * sizeof(float)), "cuMemAlloc (kernel output)");
    CUevent start = NULL, stop = NULL;
    unsigned warmup = iterations / 64 + 1;
    void *warm[] = { &out, &warmup };
    void *params[] = { &out, &iterations };
    CUresult r = cu.EventCreate(&start, 0);
    if (r == CUDA_SUCCESS) r = cu.EventCreate(&stop, 0);
    if (r == CUDA_SUCCESS) r = cu.LaunchKernel(burn, blocks, 1, 1, threads, 1, 1, 0, NULL, warm, NULL);
    if (r == CUDA_SUCCESS) r = cu.CtxSynchronize();
    if (r == CUDA_SUCCESS && start_at > 0) wait_until(start_at);
    double best = -1;
    for (int run = 0; run < 3 && r == CUDA_SUCCESS; run++) {
        float elapsed = 0;
        r = cu.EventRecord(start, NULL);
        if (r == CUDA_SUCCESS) r = cu.LaunchKernel(burn, blocks, 1, 1, threads, 1, 1, 0, NULL, params, NULL);
        if (r == CUDA_SUCCESS) r = cu.EventRecord(stop, NULL);
        if (r == CUDA_SUCCESS) r = cu.EventSynchronize(stop);
        if (r == CUDA_SUCCESS) r = cu.EventElapsedTime(&elapsed, start, stop);
        if (r == CUDA_SUCCESS && (best < 0 || elapsed < best)) best = elapsed;
    }
    if (start) cu.EventDestroy(start);
    if (stop) cu.EventDestroy(stop);
    cu.MemFree(out);
    if (r != CUDA_SUCCESS) return fail("timing the compute kernel", r);
    *ms = best;
    return 1;
}

/* Allocates until cuMemAlloc says out of memory (chunks from 1 GiB halving down to 16 MiB), frees it all. */
static int allocatable(size_t *total)
{
    enum { MAX_CHUNKS = 16384 };
    static CUdeviceptr chunks[MAX_CHUNKS];
    int count = 0;
    size_t chunk = (size_t)1 << 30, sum = 0;
    CUresult r = CUDA_SUCCESS;
    while (chunk >= ((size_t)16 << 20) && count < MAX_CHUNKS) {
        r = cu.MemAlloc(&chunks[count], chunk);
        if (r == CUDA_SUCCESS) {
            count++;
            sum += chunk;
        } else if (r == CUDA_ERROR_OUT_OF_MEMORY) {
            chunk /= 2;
            r = CUDA_SUCCESS;
        } else {
            break;
        }
    }
    for (int i = 0; i < count; i++)
        cu.MemFree(chunks[i]);
    if (r != CUDA_SUCCESS) return fail("cuMemAlloc", r);
    *total = sum;
    return 1;
}

static int measure(int ordinal, unsigned iterations, double start_at, measurement *m)
{
    int count = 0;
    CUdevice device;
    CUcontext context;
    CUmodule module;
    CUfunction record, burn;
    CHECK(cu.Init(0), "cuInit");
    CHECK(cu.DeviceGetCount(&count), "cuDeviceGetCount");
    if (ordinal >= count) {
        snprintf(failure, sizeof failure, "device %d requested, the container sees %d", ordinal, count);
        return 0;
    }
    CHECK(cu.DeviceGet(&device, ordinal), "cuDeviceGet");
    CHECK(cu.DeviceGetName(m->name, sizeof m->name, device), "cuDeviceGetName");
    CHECK(cu.DeviceGetAttribute(&m->sm_total, ATTRIBUTE_MULTIPROCESSOR_COUNT, device), "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
    CHECK(cu.DeviceTotalMem(&m->memory_total, device), "cuDeviceTotalMem");
    CHECK(cu.CtxCreate(&context, 0, device), "cuCtxCreate");
    CUexecAffinityParam affinity = { 0, 0 };
    m->sm_affinity = cu.CtxGetExecAffinity && cu.CtxGetExecAffinity(&affinity, 0) == CUDA_SUCCESS ? (int)affinity.value : -1;
    int ok = 0;
    CUresult r = cu.ModuleLoadData(&module, PTX);
    if (r != CUDA_SUCCESS) {
        fail("cuModuleLoadData (the probe's PTX)", r);
    } else {
        if ((r = cu.ModuleGetFunction(&record, module, "record_smid")) != CUDA_SUCCESS)
            fail("cuModuleGetFunction(record_smid)", r);
        else if ((r = cu.ModuleGetFunction(&burn, module, "burn")) != CUDA_SUCCESS)
            fail("cuModuleGetFunction(burn)", r);
        else
            ok = count_sms(record, m->sm_total, &m->sm_seen)
                && time_kernel(burn, m->sm_total, iterations, start_at, &m->kernel_ms)
                && allocatable(&m->memory_allocatable);
        cu.ModuleUnload(module);
    }
    cu.CtxDestroy(context);
    return ok;
}

static void json_string(const char *text)
{
    putchar('"');
    for (; *text; text++) {
        if (*text == '"' || *text == '\\') printf("\\%c", *text);
        else if ((unsigned char)*text < 0x20) printf("\\u%04x", *text);
        else putchar(*text);
    }
    putchar('"');
}

static double arg_number(const char *name, const char *value)
{
    char *end;
    double number = strtod(value, &end);
    if (*value == 0 || *end != 0 || !isfinite(number) || number < 0) {
        fprintf(stderr, "gpu-probe: %s needs a non-negative number, not '%s'\n", name, value);
        exit(2);
    }
    return number;
}

int main(int argc, char **argv)
{
    int ordinal = 0;
    double share = -1, reference_ms = -1, start_at = 0;
    unsigned iterations = 1u << 20;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: gpu-probe [--device N] [--share S] [--reference-ms MS] [--iterations N] [--start-at UNIX_SECONDS]");
            return 0;
        }
        if (!value) {
            fprintf(stderr, "gpu-probe: %s needs a value (or is unknown); see --help\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--device")) ordinal = (int)arg_number(argv[i], value);
        else if (!strcmp(argv[i], "--share")) share = arg_number(argv[i], value);
        else if (!strcmp(argv[i], "--reference-ms")) reference_ms = arg_number(argv[i], value);
        else if (!strcmp(argv[i], "--iterations")) iterations = (unsigned)arg_number(argv[i], value);
        else if (!strcmp(argv[i], "--start-at")) start_at = arg_number(argv[i], value);
        else {
            fprintf(stderr, "gpu-probe: unknown argument %s; see --help\n", argv[i]);
            return 2;
        }
        i++;
    }
    if (share == 0 || share > 1 || iterations == 0) {
        fprintf(stderr, "gpu-probe: --share must be in (0, 1] and --iterations positive\n");
        return 2;
    }

    measurement m = { .sm_affinity = -1 };
    if (!load_driver() || !measure(ordinal, iterations, start_at, &m)) {
        printf("{\"error\":");
        json_string(failure);
        printf("}\n");
        return 2;
    }

    double sm_fraction = (double)m.sm_seen / m.sm_total;
    double memory_fraction = (double)m.memory_allocatable / (double)m.memory_total;
    double ratio = reference_ms > 0 ? m.kernel_ms / reference_ms : -1;
    printf("{\"device\":");
    json_string(m.name);
    printf(",\"smTotal\":%d,\"smAffinity\":", m.sm_total);
    if (m.sm_affinity >= 0) printf("%d", m.sm_affinity); else printf("null");
    printf(",\"smSeen\":%d,\"smFraction\":%.3f,\"memoryTotalBytes\":%zu,\"memoryAllocatableBytes\":%zu,\"memoryFraction\":%.3f,\"kernelMs\":%.3f",
           m.sm_seen, sm_fraction, m.memory_total, m.memory_allocatable, memory_fraction, m.kernel_ms);
    if (reference_ms > 0) printf(",\"referenceMs\":%.3f,\"timeRatio\":%.3f", reference_ms, ratio);
    int passed = 1;
    if (share > 0) {
        /* A share s should run on about s of the SMs (MPS rounds to whole SMs or pairs), allocate no more than s of the
         * memory and most of it (the context itself takes some), and take about 1/s of a whole GPU's time. */
        int sms_ok = fabs(sm_fraction - share) <= fmax(0.05, 2.0 / m.sm_total);
        int memory_ok = memory_fraction <= share + 0.02 && memory_fraction >= share - 0.10;
        int time_ok = ratio < 0 || (ratio >= 0.8 / share && ratio <= 1.25 / share);
        passed = sms_ok && memory_ok && time_ok;
        printf(",\"share\":%.3f,\"expected\":{\"smFraction\":%.3f,\"memoryFraction\":%.3f,\"timeRatio\":%.3f}"
               ",\"checks\":{\"sms\":%s,\"memory\":%s,\"time\":%s},\"pass\":%s",
               share, share, share, 1.0 / share, sms_ok ? "true" : "false", memory_ok ? "true" : "false",
               ratio < 0 ? "null" : time_ok ? "true" : "false", passed ? "true" : "false");
    }
    printf("}\n");
    return passed ? 0 : 1;
}
