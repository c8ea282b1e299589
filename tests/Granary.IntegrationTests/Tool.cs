using System.Diagnostics;

namespace Granary.IntegrationTests;

/// <summary>Runs a host program (ssh, sftp, ssh-keygen, chown) and captures its output.</summary>
public static class Tool
{
    public sealed record Result(string Program, int ExitCode, string Output, string Error)
    {
        public Result EnsureSuccess()
            => ExitCode == 0 ? this : throw new InvalidOperationException($"{Program} exited with {ExitCode}: {Error}{Output}");
    }

    public static Result Run(string program, IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{program} is not installed on this machine (apt-get install -y openssh-client provides ssh, sftp and ssh-keygen).", e);
        }
        using (process)
        {
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in time");
            }
            process.WaitForExit();
            return new Result(program, process.ExitCode, output.Result, error.Result);
        }
    }
}
