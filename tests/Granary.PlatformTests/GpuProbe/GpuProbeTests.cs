using System.Diagnostics;
using System.Text.Json;
using Granary.PlatformTests.Infrastructure;

namespace Granary.PlatformTests.GpuProbe;

/// <summary>
/// deploy/gpu-probe (built with gcc) against the fake CUDA driver of tests/native/fake_cuda.c, which simulates a
/// device's SM count, the SMs and memory a context may use (as MPS limits them) and a kernel's time.
/// </summary>
public sealed class GpuProbeTests : IClassFixture<GpuProbeTests.Build>
{
    private const long GiB = 1L << 30;
    private readonly Build _build;

    public GpuProbeTests(Build build) => _build = build;

    [Fact]
    public void A_whole_device_reports_every_sm_all_memory_and_the_kernel_time()
    {
        var (exitCode, json, errors) = _build.Probe([]);

        Assert.Equal(0, exitCode);
        Assert.Equal("Fake H100", json.GetProperty("device").GetString());
        Assert.Equal(132, json.GetProperty("smTotal").GetInt32());
        Assert.Equal(132, json.GetProperty("smAffinity").GetInt32());
        Assert.Equal(132, json.GetProperty("smSeen").GetInt32());
        Assert.Equal(80 * GiB, json.GetProperty("memoryAllocatableBytes").GetInt64());
        Assert.Equal(40.0, json.GetProperty("kernelMs").GetDouble());
        Assert.False(json.TryGetProperty("pass", out _));
        Assert.DoesNotContain("left behind", errors); // every allocation, event, module and context was released
    }

    [Fact]
    public void A_fifth_under_mps_like_limits_passes_its_checks()
    {
        var (exitCode, json, errors) = _build.Probe(["--share", "0.2", "--reference-ms", "40"],
            ("FAKE_CUDA_SM_LIMIT", "27"), ("FAKE_CUDA_MEMORY_LIMIT", (16 * GiB).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(0, exitCode);
        Assert.Equal(27, json.GetProperty("smSeen").GetInt32());
        Assert.Equal(27, json.GetProperty("smAffinity").GetInt32());
        Assert.Equal(16 * GiB, json.GetProperty("memoryAllocatableBytes").GetInt64());
        Assert.Equal(0.2, json.GetProperty("memoryFraction").GetDouble());
        Assert.Equal(195.556, json.GetProperty("kernelMs").GetDouble()); // 40 ms × 132 / 27
        Assert.Equal(4.889, json.GetProperty("timeRatio").GetDouble());
        Assert.Equal(5.0, json.GetProperty("expected").GetProperty("timeRatio").GetDouble());
        Assert.True(json.GetProperty("pass").GetBoolean());
        Assert.DoesNotContain("left behind", errors);
    }

    [Fact]
    public void A_fifth_that_is_not_enforced_fails_every_check_and_exits_1()
    {
        var (exitCode, json, _) = _build.Probe(["--share", "0.2", "--reference-ms", "40"]);

        Assert.Equal(1, exitCode);
        var checks = json.GetProperty("checks");
        Assert.Equal((false, false, false),
            (checks.GetProperty("sms").GetBoolean(), checks.GetProperty("memory").GetBoolean(), checks.GetProperty("time").GetBoolean()));
        Assert.False(json.GetProperty("pass").GetBoolean());
    }

    [Fact]
    public void Memory_over_the_share_fails_only_the_memory_check()
    {
        var (exitCode, json, _) = _build.Probe(["--share", "0.5"],
            ("FAKE_CUDA_SM_LIMIT", "66"), ("FAKE_CUDA_MEMORY_LIMIT", (48 * GiB).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(1, exitCode);
        var checks = json.GetProperty("checks");
        Assert.True(checks.GetProperty("sms").GetBoolean());
        Assert.False(checks.GetProperty("memory").GetBoolean());
        Assert.Equal(JsonValueKind.Null, checks.GetProperty("time").ValueKind); // no reference time given
    }

    [Fact]
    public void A_driver_without_exec_affinity_still_counts_the_sms_a_kernel_ran_on()
    {
        var (exitCode, json, _) = _build.Probe([], ("FAKE_CUDA_AFFINITY", "0"), ("FAKE_CUDA_SM_LIMIT", "66"));

        Assert.Equal(0, exitCode);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("smAffinity").ValueKind);
        Assert.Equal(66, json.GetProperty("smSeen").GetInt32());
        Assert.Equal(80.0, json.GetProperty("kernelMs").GetDouble());
    }

    [Fact]
    public void Driver_errors_are_reported_as_json_with_the_cuda_error_name_and_exit_2()
    {
        var (exitCode, json, _) = _build.Probe([], ("FAKE_CUDA_INIT_RESULT", "100"));

        Assert.Equal(2, exitCode);
        Assert.Equal("cuInit failed: CUDA_ERROR_NO_DEVICE (100)", json.GetProperty("error").GetString());
    }

    [Fact]
    public void No_driver_is_reported_as_json_and_exit_2()
    {
        var (exitCode, json, _) = _build.Probe([], ("LD_LIBRARY_PATH", _build.EmptyDirectory));

        Assert.Equal(2, exitCode);
        Assert.StartsWith("libcuda.so.1 cannot be loaded", json.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("--share", "1.5")]
    [InlineData("--share", "abc")]
    [InlineData("--bogus", "1")]
    public void Bad_arguments_exit_2(string name, string value)
    {
        var (exitCode, _, errors) = _build.Run([name, value]);

        Assert.Equal(2, exitCode);
        Assert.Contains("gpu-probe:", errors);
    }

    [Fact]
    public void Start_at_holds_the_timed_runs_until_then()
    {
        // Whole seconds, as the option takes them: the probe may start the moment the second begins.
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(2).ToUnixTimeSeconds());
        var clock = Stopwatch.StartNew();

        var (exitCode, _, _) = _build.Probe(["--start-at", at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(0, exitCode);
        Assert.True(DateTimeOffset.UtcNow >= at, $"returned after {clock.Elapsed}, before the start time {at:O}");
    }

    [Theory]
    [InlineData(true, 0, "PASS")]
    [InlineData(false, 1, "FAIL")]
    public void Run_sh_launches_every_share_prints_the_table_and_deletes_its_sessions(bool enforced, int exitCode, string verdict)
    {
        var (code, output, requests) = _build.RunScript(enforced);

        Assert.True(code == exitCode, output);
        var lines = output.Split('\n');
        string Row(string share) => Assert.Single(lines, l => l.StartsWith(share.PadRight(12) + " ", StringComparison.Ordinal)).TrimEnd();
        Assert.All(["0.5", "0.2", "0.5 (A of 2)", "0.5 (B of 2)"], share => Assert.EndsWith(verdict, Row(share)));
        Assert.EndsWith("PASS", Row("1.0")); // the reference
        Assert.Contains(enforced ? "26/132" : "132/132", Row("0.2"));
        Assert.Equal(5, requests.Count(r => r.StartsWith("POST /v1/sessions", StringComparison.Ordinal)));
        Assert.Equal(5, requests.Count(r => r.StartsWith("DELETE /v1/sessions/", StringComparison.Ordinal))); // none left behind
    }

    /// <summary>Builds the probe and the fake driver once for the class.</summary>
    public sealed class Build : IDisposable
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "granary-gpu-probe-" + Guid.NewGuid().ToString("N")[..8]);

        public Build()
        {
            Run("bash", [RepositoryPaths.GpuProbeBuildScript, Path.Combine(_directory, "bin")], []);
            Run("bash", [RepositoryPaths.FakeCudaBuildScript, Path.Combine(_directory, "driver")], []);
            Directory.CreateDirectory(EmptyDirectory);
        }

        public string EmptyDirectory => Path.Combine(_directory, "empty");

        /// <summary>Runs the probe with the fake driver (unless the environment says otherwise); its stdout must be JSON.</summary>
        public (int ExitCode, JsonElement Json, string Errors) Probe(string[] arguments, params (string Name, string Value)[] environment)
        {
            var (exitCode, output, errors) = Run(arguments, environment);
            using var document = JsonDocument.Parse(output);
            return (exitCode, document.RootElement.Clone(), errors);
        }

        public (int ExitCode, string Output, string Errors) Run(string[] arguments, params (string Name, string Value)[] environment) =>
            Run(Path.Combine(_directory, "bin", "gpu-probe"), arguments,
                [("LD_LIBRARY_PATH", Path.Combine(_directory, "driver")), .. environment], allowFailure: true);

        /// <summary>deploy/gpu-probe/run.sh against tests/native/fake_granary_api.py, whose sessions run this probe
        /// against the fake driver with MPS-like limits (or none); returns its exit code, output and the API's requests.</summary>
        public (int ExitCode, string Output, string[] Requests) RunScript(bool enforced)
        {
            var run = Path.Combine(_directory, "api-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(run);
            var key = "probe-test-" + Guid.NewGuid().ToString("N");
            var probe = Path.Combine(_directory, "bin", "gpu-probe");
            var start = new ProcessStartInfo("python3", [Path.Combine(RepositoryPaths.Root, "tests", "native", "fake_granary_api.py"),
                Path.Combine(run, "port"), Path.Combine(run, "requests")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment =
                {
                    ["FAKE_KEY"] = key, ["GPU_PROBE_BIN"] = probe, ["FAKE_CUDA_DIR"] = Path.Combine(_directory, "driver"),
                    ["FAKE_ENFORCED"] = enforced ? "1" : "0",
                },
            };
            using var api = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
            try
            {
                var port = Path.Combine(run, "port");
                var until = DateTime.UtcNow.AddMinutes(1);
                while (!(File.Exists(port) && File.ReadAllText(port).Length > 0))
                {
                    if (api.HasExited || DateTime.UtcNow > until)
                        throw new InvalidOperationException($"the fake API did not start: {api.StandardError.ReadToEnd()}");
                    Thread.Sleep(100);
                }
                var (exitCode, output, errors) = Run("bash", [Path.Combine(RepositoryPaths.Root, "deploy", "gpu-probe", "run.sh"),
                    $"http://127.0.0.1:{File.ReadAllText(port)}", key],
                    [("GPU_PROBE_BIN", probe), ("GPU_PROBE_START_DELAY", "2"), ("GPU_PROBE_TIMEOUT", "60")], allowFailure: true);
                return (exitCode, output + errors, File.ReadAllLines(Path.Combine(run, "requests")));
            }
            finally
            {
                api.Kill();
                api.WaitForExit();
            }
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        private static (int ExitCode, string Output, string Errors) Run(string program, string[] arguments, (string Name, string Value)[] environment, bool allowFailure = false)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill();
                throw new TimeoutException($"{program} did not finish in 2 minutes");
            }
            if (!allowFailure && process.ExitCode != 0)
                throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {errors.Result}{output}");
            return (process.ExitCode, output, errors.Result);
        }
    }
}
