using Granary.Silo.Adapters.Docker;

namespace Granary.UnitTests.Launch;

public sealed class DockerUserNamespaceTests
{
    [Fact]
    public void An_engine_without_user_namespaces_maps_nothing()
        => Assert.Null(DockerUserNamespace.RemapBase("/var/lib/docker", ["name=seccomp,profile=default"]));

    [Fact]
    public void A_remapping_engine_names_the_base_in_its_root_directory()
        => Assert.Equal((100000, 100001), DockerUserNamespace.RemapBase(
            "/var/lib/granary/docker-userns/data/100000.100001", ["name=seccomp,profile=default", "name=userns"]));

    [Fact]
    public void A_remapping_engine_whose_root_directory_names_no_base_is_an_error_not_a_guess()
    {
        var error = Assert.Throws<ContainerRuntimeException>(() => DockerUserNamespace.RemapBase("/var/lib/docker", ["name=userns"]));
        Assert.Contains("/var/lib/docker", error.Message, StringComparison.Ordinal);
    }
}
