/*
 * A fake libnvidia-ml.so.1 for testing Granary's NVML bindings on machines without a GPU.
 * Build: bash tests/native/build-fake-nvml.sh OUT_DIR   (gcc -shared -fPIC)
 *
 * Exports the NVML functions Granary binds, with NVML's C signatures and return codes. Its devices
 * are read at every nvmlInit_v2 (when not already initialised) from a configuration file: the path
 * in the environment variable FAKE_NVML_CONFIG, else fake_nvml.conf beside this library. No file:
 * init succeeds with zero devices. Lines:
 *
 *   # comment
 *   init_result 9                 nvmlInit_v2 returns this code (9 = NVML_ERROR_DRIVER_NOT_LOADED)
 *   device UUID|NAME|TOTAL_BYTES|USED_BYTES|GPU_UTIL|MEM_UTIL|MIG|CC[|SMS]
 *   mig PARENT_UUID|SLOT|UUID|NAME|TOTAL_BYTES|USED_BYTES|SMS|GPU_SLICES   a MIG instance in the parent's slot
 *   process UUID|PID|USED_BYTES   a compute process on the device (or MIG instance) with that UUID
 *   fail FUNCTION CODE            the named NVML function returns CODE (e.g. fail nvmlDeviceGetAttributes_v2 3)
 *
 * GPU_UTIL < 0 makes nvmlDeviceGetUtilizationRates return NOT_SUPPORTED; MIG is 1 (enabled),
 * 0 (disabled) or -1 (NOT_SUPPORTED); CC is MAJOR.MINOR, or -1 for NOT_SUPPORTED; SMS missing or 0 makes
 * nvmlDeviceGetAttributes_v2 return NOT_SUPPORTED for the device (as drivers do for whole GPUs). A MIG device has
 * 7 slots; an empty one answers NOT_FOUND. The configuration is read again at every nvmlInit_v2 from zero, and
 * `process` lines also at every nvmlDeviceGetComputeRunningProcesses_v3, so a test can change them while NVML is up.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
};

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_t; /* v2/v3 layout: 24 bytes */

typedef struct {
    unsigned int multiprocessorCount;
    unsigned int sharedCopyEngineCount;
    unsigned int sharedDecoderCount;
    unsigned int sharedEncoderCount;
    unsigned int sharedJpegCount;
    unsigned int sharedOfaCount;
    unsigned int gpuInstanceSliceCount;
    unsigned int computeInstanceSliceCount;
    unsigned long long memorySizeMB;
} nvmlDeviceAttributes_t; /* 40 bytes */

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;

#define MAX_DEVICES 16
#define MAX_TEXT 96

typedef struct {
    char uuid[MAX_TEXT];
    char name[MAX_TEXT];
    unsigned long long total, used;
    int gpu_util, mem_util;
    int mig;
    int cc_major, cc_minor;
    int sms, gpu_slices;
    int parent, slot; /* MIG instances: index of the parent in devices[], slot 0..6; -1 for GPUs */
} fake_device;

typedef fake_device *nvmlDevice_t;

#define MAX_MIGS 64
#define MIG_SLOTS 7
#define MAX_FAILS 16

static fake_device devices[MAX_DEVICES];
static unsigned int device_count;
static fake_device migs[MAX_MIGS];
static unsigned int mig_count;
static struct { char function[64]; int code; } fails[MAX_FAILS];
static unsigned int fail_count;
static int init_count; /* NVML reference-counts init/shutdown */

static void config_path(char *out, size_t size)
{
    const char *env = getenv("FAKE_NVML_CONFIG");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return;
    }
    Dl_info info;
    if (dladdr((void *)config_path, &info) && info.dli_fname) {
        snprintf(out, size, "%s", info.dli_fname);
        char *slash = strrchr(out, '/');
        if (slash) {
            snprintf(slash + 1, size - (size_t)(slash + 1 - out), "fake_nvml.conf");
            return;
        }
    }
    snprintf(out, size, "fake_nvml.conf");
}

/* Returns the init result the configuration asks for; fills devices. */
static int load_config(void)
{
    char path[4096];
    config_path(path, sizeof path);
    device_count = 0;
    mig_count = 0;
    fail_count = 0;

    FILE *file = fopen(path, "r");
    if (!file)
        return NVML_SUCCESS;

    int init_result = NVML_SUCCESS;
    char line[1024];
    while (fgets(line, sizeof line, file)) {
        int code;
        if (sscanf(line, "init_result %d", &code) == 1) {
            init_result = code;
            continue;
        }
        if (strncmp(line, "fail ", 5) == 0 && fail_count < MAX_FAILS) {
            if (sscanf(line + 5, "%63s %d", fails[fail_count].function, &fails[fail_count].code) == 2)
                fail_count++;
            continue;
        }
        if (strncmp(line, "mig ", 4) == 0 && mig_count < MAX_MIGS) {
            fake_device m;
            memset(&m, 0, sizeof m);
            char parent[MAX_TEXT];
            if (sscanf(line + 4, "%95[^|]|%d|%95[^|]|%95[^|]|%llu|%llu|%d|%d", parent, &m.slot, m.uuid, m.name,
                       &m.total, &m.used, &m.sms, &m.gpu_slices) != 8)
                continue;
            m.parent = -1;
            for (unsigned int i = 0; i < device_count; i++)
                if (strcmp(devices[i].uuid, parent) == 0)
                    m.parent = (int)i;
            if (m.parent < 0 || m.slot < 0 || m.slot >= MIG_SLOTS)
                continue;
            m.gpu_util = -1;
            m.mig = -1;
            m.cc_major = devices[m.parent].cc_major;
            m.cc_minor = devices[m.parent].cc_minor;
            migs[mig_count++] = m;
            continue;
        }
        if (strncmp(line, "device ", 7) != 0 || device_count == MAX_DEVICES)
            continue;

        fake_device d;
        memset(&d, 0, sizeof d);
        char cc[32] = "";
        int fields = sscanf(line + 7, "%95[^|]|%95[^|]|%llu|%llu|%d|%d|%d|%31[^|\n]|%d",
                            d.uuid, d.name, &d.total, &d.used, &d.gpu_util, &d.mem_util, &d.mig, cc, &d.sms);
        if (fields != 8 && fields != 9)
            continue;
        if (sscanf(cc, "%d.%d", &d.cc_major, &d.cc_minor) != 2)
            d.cc_major = d.cc_minor = -1;
        d.parent = d.slot = -1;
        devices[device_count++] = d;
    }
    fclose(file);
    return init_result;
}

static int valid(nvmlDevice_t device)
{
    return (device >= devices && device < devices + device_count) || (device >= migs && device < migs + mig_count);
}

/* The code a `fail` line forces on this function, or NVML_SUCCESS. */
static int forced(const char *function)
{
    for (unsigned int i = 0; i < fail_count; i++)
        if (strcmp(fails[i].function, function) == 0)
            return fails[i].code;
    return NVML_SUCCESS;
}

#define FORCED(function) do { int code_ = forced(function); if (code_ != NVML_SUCCESS) return code_; } while (0)

static nvmlReturn_t copy_text(const char *text, char *out, unsigned int length)
{
    if (!out)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(text) + 1 > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(out, text, strlen(text) + 1);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void)
{
    if (init_count == 0) {
        int result = load_config();
        if (result != NVML_SUCCESS) {
            device_count = 0;
            return result;
        }
    }
    init_count++;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    init_count--;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = device_count;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= device_count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!valid(device))
        return NVML_ERROR_INVALID_ARGUMENT;
    return copy_text(device->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!valid(device))
        return NVML_ERROR_INVALID_ARGUMENT;
    return copy_text(device->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!valid(device) || !memory)
        return NVML_ERROR_INVALID_ARGUMENT;
    memory->total = device->total;
    memory->used = device->used;
    memory->free = device->total > device->used ? device->total - device->used : 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    FORCED("nvmlDeviceGetUtilizationRates");
    if (!valid(device) || !utilization)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->gpu_util < 0)
        return NVML_ERROR_NOT_SUPPORTED;
    utilization->gpu = (unsigned int)device->gpu_util;
    utilization->memory = (unsigned int)device->mem_util;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current_mode, unsigned int *pending_mode)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!valid(device) || !current_mode || !pending_mode)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->mig < 0)
        return NVML_ERROR_NOT_SUPPORTED;
    *current_mode = *pending_mode = (unsigned int)device->mig;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!valid(device) || !major || !minor)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->cc_major < 0)
        return NVML_ERROR_NOT_SUPPORTED;
    *major = device->cc_major;
    *minor = device->cc_minor;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t device, nvmlDeviceAttributes_t *attributes)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    FORCED("nvmlDeviceGetAttributes_v2");
    if (!valid(device) || !attributes)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->sms <= 0)
        return NVML_ERROR_NOT_SUPPORTED;
    memset(attributes, 0, sizeof *attributes);
    attributes->multiprocessorCount = (unsigned int)device->sms;
    attributes->gpuInstanceSliceCount = (unsigned int)device->gpu_slices;
    attributes->computeInstanceSliceCount = (unsigned int)device->gpu_slices;
    attributes->memorySizeMB = device->total / (1024 * 1024);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    FORCED("nvmlDeviceGetMaxMigDeviceCount");
    if (!valid(device) || !count)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->mig != 1)
        return NVML_ERROR_NOT_SUPPORTED;
    *count = MIG_SLOTS;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index, nvmlDevice_t *mig)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    FORCED("nvmlDeviceGetMigDeviceHandleByIndex");
    if (!valid(device) || !mig || index >= MIG_SLOTS || device->parent >= 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (unsigned int i = 0; i < mig_count; i++) {
        if (&devices[migs[i].parent] == device && migs[i].slot == (int)index) {
            *mig = &migs[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

/* Re-reads the `process` lines of the configuration for this device. */
static unsigned int read_processes(const fake_device *device, nvmlProcessInfo_t *out, unsigned int capacity)
{
    char path[4096], line[1024];
    config_path(path, sizeof path);
    FILE *file = fopen(path, "r");
    if (!file)
        return 0;
    unsigned int found = 0;
    while (fgets(line, sizeof line, file)) {
        char uuid[MAX_TEXT];
        unsigned int pid;
        unsigned long long used;
        if (strncmp(line, "process ", 8) != 0 || sscanf(line + 8, "%95[^|]|%u|%llu", uuid, &pid, &used) != 3)
            continue;
        if (strcmp(uuid, device->uuid) != 0)
            continue;
        if (found < capacity) {
            out[found].pid = pid;
            out[found].usedGpuMemory = used;
            out[found].gpuInstanceId = out[found].computeInstanceId = 0xFFFFFFFF;
        }
        found++;
    }
    fclose(file);
    return found;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *count, nvmlProcessInfo_t *infos)
{
    if (init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    FORCED("nvmlDeviceGetComputeRunningProcesses_v3");
    if (!valid(device) || !count || (*count > 0 && !infos))
        return NVML_ERROR_INVALID_ARGUMENT;
    unsigned int capacity = *count;
    unsigned int found = read_processes(device, infos, capacity);
    *count = found;
    return found > capacity ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
}

/* Test hook, not NVML: how many nvmlInit_v2 calls are not yet matched by nvmlShutdown. */
int fake_nvml_init_count(void)
{
    return init_count;
}
