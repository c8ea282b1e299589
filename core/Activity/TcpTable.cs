using System.Globalization;

namespace Granary.Activity;

/// <summary>Reads Linux's /proc/{pid}/net/tcp and tcp6 tables (a network namespace's TCP sockets).</summary>
public static class TcpTable
{
    private const string Established = "01";

    /// <summary>How many sockets in the table are ESTABLISHED with the given local port (e.g. connections to sshd).</summary>
    public static int CountEstablished(string table, int localPort)
    {
        var count = 0;
        foreach (var line in table.Split('\n').Skip(1))
        {
            // "  0: 0100007F:0898 0100007F:D2F0 01 …": sl, local address:port (hex), remote, state (hex).
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
                continue;
            var colon = fields[1].LastIndexOf(':');
            if (colon < 0 || !int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
                continue;
            if (port == localPort && fields[3] == Established)
                count++;
        }
        return count;
    }
}
