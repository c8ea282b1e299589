using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Granary.PlatformTests.Infrastructure;

/// <summary>
/// Builds tests/native/fake_nvml.c into a libnvidia-ml.so.1 of its own (gcc, through
/// tests/native/build-fake-nvml.sh) and lets a test declare the devices it reports by writing
/// fake_nvml.conf beside it. A process binds one NVML library, so every NVML test shares this one,
/// in one collection (run one after another, since the configuration file is shared too).
/// </summary>
public sealed class FakeNvmlFixture : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "granary-fake-nvml-" + Guid.NewGuid().ToString("N")[..8]);

    public FakeNvmlFixture()
    {
        var build = Process.Start(new ProcessStartInfo("bash", [RepositoryPaths.FakeNvmlBuildScript, _directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("Could not start bash to build the fake NVML library.");
        var output = build.StandardOutput.ReadToEnd() + build.StandardError.ReadToEnd();
        build.WaitForExit();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"Building the fake NVML library failed (exit {build.ExitCode}): {output}");
        }

        LibraryPath = Path.Combine(_directory, "libnvidia-ml.so.1");
    }

    public string LibraryPath { get; }

    /// <summary>Devices (and init result) for the next nvmlInit_v2; see fake_nvml.c for the format.</summary>
    public void Configure(params string[] lines) =>
        File.WriteAllLines(Path.Combine(_directory, "fake_nvml.conf"), lines);

    /// <summary>nvmlInit_v2 calls the fake has not seen matched by nvmlShutdown yet.</summary>
    public int OpenInitCount()
    {
        var handle = NativeLibrary.Load(LibraryPath);
        try
        {
            var count = Marshal.GetDelegateForFunctionPointer<InitCount>(NativeLibrary.GetExport(handle, "fake_nvml_init_count"));
            return count();
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int InitCount();
}

[CollectionDefinition(Name)]
public sealed class FakeNvmlCollection : ICollectionFixture<FakeNvmlFixture>
{
    public const string Name = "nvml";
}
