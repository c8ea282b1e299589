using System.Net;
using System.Net.Sockets;

namespace Granary.GatewayTests;

/// <summary>
/// Silo settings for the in-process all-in-one: free ports (other test processes may run a silo too) and the
/// simulated agent with one node of known size.
/// </summary>
public static class TestCluster
{
    public const string NodeId = "node-1";
    public const int Cores = 8;
    public const int Gpus = 2;
    public const int FgpuPerGpu = 5;

    public static IReadOnlyDictionary<string, string?> Settings()
    {
        var siloPort = FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["Granary:Roles"] = "manager,agent",
            ["Granary:Clustering"] = "localhost",
            ["Granary:SiloPort"] = siloPort.ToString(),
            ["Granary:GatewayPort"] = FreePort(siloPort).ToString(),
            ["Granary:Agent:Driver"] = "simulated",
            ["Granary:Agent:Simulated:StartDelay"] = "00:00:00.100",
            ["Granary:Agent:Simulated:Images:0"] = "python:3.11",
            ["Granary:Agent:Simulated:LabelledImages:0:Reference"] = "base:1",
            ["Granary:Agent:Simulated:LabelledImages:0:Labels:granary.environment"] = "base",
            ["Granary:Agent:Simulated:LabelledImages:0:Labels:granary.version"] = "1",
            ["Granary:Agent:Simulated:LabelledImages:0:Labels:granary.apps"] = "terminal:exec",
            ["Granary:Agent:Simulated:ImageLabels:granary.apps"] = "terminal:exec,jupyter:http:8888,ssh:tcp:2200",
            ["Granary:Agent:Simulated:ImageLabels:granary.environment"] = "python",
            ["Granary:Agent:Simulated:ImageLabels:granary.version"] = "3.11",
            ["Granary:Agent:Nodes:0:Id"] = NodeId,
            ["Granary:Agent:Nodes:0:CpuCores"] = Cores.ToString(),
            ["Granary:Agent:Nodes:0:Memory"] = "32g",
            ["Granary:Agent:Nodes:0:FgpuPerGpu"] = FgpuPerGpu.ToString(),
        };
        for (var i = 0; i < Gpus; i++)
        {
            settings[$"Granary:Agent:Nodes:0:Gpus:{i}:Uuid"] = $"GPU-test-{i}";
            settings[$"Granary:Agent:Nodes:0:Gpus:{i}:Model"] = "TEST-GPU";
            settings[$"Granary:Agent:Nodes:0:Gpus:{i}:Memory"] = "16g";
        }

        return settings;
    }

    private static int FreePort(int except = 0)
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port != except)
            {
                return port;
            }
        }
    }
}
