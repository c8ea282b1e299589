using Granary.Activity;

namespace Granary.UnitTests.Activity;

public sealed class TcpTableTests
{
    // Port 2200 is 0x0898; state 0A is LISTEN, 01 ESTABLISHED, 06 TIME_WAIT.
    private const string Table =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
        "   0: 00000000:0898 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n" +
        "   1: 0200110A:0898 0100110A:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1\n" +
        "   2: 0200110A:22B8 0100110A:A000 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 20 4 30 10 -1\n" +
        "   3: 0200110A:0898 0100110A:D2F2 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0\n";

    [Fact]
    public void Counts_only_established_connections_to_the_port()
    {
        Assert.Equal(1, TcpTable.CountEstablished(Table, 2200));
        Assert.Equal(1, TcpTable.CountEstablished(Table, 8888));
        Assert.Equal(0, TcpTable.CountEstablished(Table, 22));
    }

    [Fact]
    public void An_empty_or_odd_table_has_no_connections()
    {
        Assert.Equal(0, TcpTable.CountEstablished("", 2200));
        Assert.Equal(0, TcpTable.CountEstablished("header\nnot a row\n  0: nonsense\n", 2200));
    }
}
