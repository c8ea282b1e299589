namespace Granary.GatewayTests;

/// <summary>An all-in-one whose node's GPUs are deploy/gpus/mock-h100.json (two whole H100s and one in MIG mode:
/// 3g.40gb, 2g.20gb and two 1g.10gb instances), enforcement mode mig. Not in GatewayFactory: the CLI tests compile
/// that file without the test helpers.</summary>
public static class MockMigGateway
{
    public static GatewayFactory Start() => GatewayFactory.WithSettings(new Dictionary<string, string?>
    {
        ["Granary:Agent:Gpus:Discovery"] = "mock",
        ["Granary:Agent:Gpus:MockFile"] = Path.Combine(Repository.Root, "deploy", "gpus", "mock-h100.json"),
        ["Granary:Agent:Nodes:0:EnforcementMode"] = "mig",
    });
}
