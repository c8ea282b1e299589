namespace Granary.Agents;

/// <summary>An environment image as its labels declare it: the environment name and version, and the apps it
/// serves (name, protocol, container port; the terminal is exec-based and always offered).</summary>
[GenerateSerializer, Immutable]
public sealed record ImageDescriptor(
    [property: Id(0)] string Reference,
    [property: Id(1)] string Environment,
    [property: Id(2)] string Version,
    [property: Id(3)] ImageApp[] Apps);

[GenerateSerializer, Immutable]
public sealed record ImageApp([property: Id(0)] string Name, [property: Id(1)] string Protocol, [property: Id(2)] int Port);
