using Granary.Folders;
using Granary.Policies;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Granary.ClusterTests;

/// <summary>The errors a grain throws for a caller to tell apart cross silos: each has a codec and comes back as
/// itself with its message. One without (a driver's own exception) reaches the gateway as a CodecNotFound 500.</summary>
public sealed class ErrorSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    public static TheoryData<Exception> Errors() =>
    [
        new ContainerRuntimeException("Docker could not remove container c-1: engine broken (HTTP 500)."),
        new StorageUnavailableException("grain storage failed"),
        new FoldersUnavailableException("folder root is not shared"),
        new FolderConflictException("folder 'data' is in use"),
        new FolderNotFoundException("no folder 'data'"),
        new QuotaRefusedException("maxConcurrentSessions", "default", "at most 3 sessions at once"),
    ];

    [Theory]
    [MemberData(nameof(Errors))]
    public void An_error_crossing_grains_comes_back_as_itself(Exception error)
    {
        var back = Serializer.Deserialize<Exception>(Serializer.SerializeToArray(error));

        Assert.IsType(error.GetType(), back);
        Assert.Equal(error.Message, back.Message);
    }
}
