namespace Granary.Cli;

/// <summary>What the exit code of a granary command says (README: the CLI).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran but what it waited for did not happen (a session ended in ERROR while starting).</summary>
    public const int Failed = 1;

    /// <summary>Bad usage: unknown verb or option, a missing argument, or input the server refused (400, 409, 415).</summary>
    public const int Usage = 2;

    /// <summary>No key, a key the server does not accept (401), or not allowed (403).</summary>
    public const int Auth = 3;

    /// <summary>What the command names does not exist (404).</summary>
    public const int NotFound = 4;

    /// <summary>The server failed (5xx) or cannot be reached.</summary>
    public const int Server = 5;
}

/// <summary>Ends a command with an exit code and a message for standard error.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
