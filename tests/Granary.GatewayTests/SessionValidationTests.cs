namespace Granary.GatewayTests;

/// <summary>Bad bodies are 400 problem+json naming the field, and create nothing (carol's list stays empty).</summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionValidationTests(GatewayFactory factory)
{
    [Theory]
    // malformed JSON
    [InlineData("{\"image\": \"python:3.11\", ", "body")]
    [InlineData("not json at all", "body")]
    [InlineData("", "body")]
    [InlineData("[1, 2]", "body")]
    [InlineData("null", "body")]
    // wrong JSON types
    [InlineData("{\"image\": 42, \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}}", "image")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": \"big\"}", "resources")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": \"lots\", \"memory\": \"1g\"}}", "resources.cpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": true, \"memory\": \"1g\"}}", "resources.cpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": [1]}}", "resources.memory")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"gpu\": 1.5}}", "resources.gpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": {\"folder\": \"x\"}}", "mounts")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"x\", \"readOnly\": \"yes\"}]}", "mounts[0].readOnly")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"A\": 1}}", "env.A")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"priority\": \"high\"}", "priority")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"command\": 5}", "command")]
    // unknown fields are refused, not ignored
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memroy\": \"1g\"}}", "resources.memroy")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"gpus\": 1}", "gpus")]
    // bad resources
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": -1, \"memory\": \"1g\"}}", "resources.cpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 0, \"memory\": \"1g\"}}", "resources.cpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"4x\"}}", "resources.memory")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"-4g\"}}", "resources.memory")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"gpu\": 1, \"fgpu\": 0.5}}", "resources.fgpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"gpu\": -2}}", "resources.gpu")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"fgpu\": -0.5}}", "resources.fgpu")]
    [InlineData("{\"image\": \"python:3.11\"}", "resources")]
    // a MIG profile: a name as NVIDIA writes them, instead of gpu/fgpu
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"mig\": \"1g.10\"}}", "resources.mig")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"mig\": \"half\"}}", "resources.mig")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"mig\": \"1g.10gb\", \"fgpu\": 0.5}}", "resources.mig")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\", \"mig\": 7}}", "resources.mig")]
    // other fields
    [InlineData("{\"resources\": {\"cpu\": 1, \"memory\": \"1g\"}}", "image")]
    [InlineData("{\"image\": \"Not An Image!\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}}", "image")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"type\": \"daemon\"}", "type")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"name\": \"\"}", "name")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"name\": \"has space\"}", "name")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "name")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"1BAD\": \"x\"}}", "env.1BAD")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"A-B\": \"x\"}}", "env.A-B")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"path\": \"/x\"}]}", "mounts[0].folder")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"../etc\"}]}", "mounts[0].folder")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"relative\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/work/../../etc\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"a\", \"path\": \"/home/work/d\"}, {\"folder\": \"b\", \"path\": \"/home/work/d/\"}]}", "mounts[1].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"priority\": 1000}", "priority")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"resourceGroup\": \"No Such Group!\"}", "resourceGroup")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"command\": []}", "command")]
    // names that would run code as root in the image's start script, or lift the agent's GPU decisions
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"BASH_ENV\": \"/home/work/data/x.sh\"}}", "env.BASH_ENV")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"ENV\": \"/home/work/data/x.sh\"}}", "env.ENV")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"LD_PRELOAD\": \"/home/work/data/x.so\"}}", "env.LD_PRELOAD")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"LD_LIBRARY_PATH\": \"/tmp\"}}", "env.LD_LIBRARY_PATH")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"PATH\": \"/home/work/data:/usr/bin\"}}", "env.PATH")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"GLIBC_TUNABLES\": \"x\"}}", "env.GLIBC_TUNABLES")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"OPENSSL_CONF\": \"/tmp/x\"}}", "env.OPENSSL_CONF")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"NVIDIA_VISIBLE_DEVICES\": \"all\"}}", "env.NVIDIA_VISIBLE_DEVICES")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"NVIDIA_DRIVER_CAPABILITIES\": \"all\"}}", "env.NVIDIA_DRIVER_CAPABILITIES")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"CUDA_MPS_ACTIVE_THREAD_PERCENTAGE\": \"100\"}}", "env.CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"env\": {\"GRANARY_JUPYTER_BASE_URL\": \"/\"}}", "env.GRANARY_JUPYTER_BASE_URL")]
    // folders mount only below the session user's home, never over .ssh or system paths
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/opt/granary\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/usr/sbin\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/usr/local/bin/\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/data\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/work\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/work/.ssh\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/work/.ssh/keys\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/work/./.ssh\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/work//.ssh\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/home/workx\"}]}", "mounts[0].path")]
    // never where the agent mounts GPU enforcement
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/tmp/nvidia-mps\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/etc/ld.so.preload\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\", \"path\": \"/usr/local/vgpu\"}]}", "mounts[0].path")]
    [InlineData("{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"mounts\": [{\"folder\": \"data\"}, {\"folder\": \"x\", \"path\": \"/usr/local/vgpu/libvgpu.so\"}]}", "mounts[1].path")]
    public async Task Bad_body_is_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);
        var before = await Api.ListIds(carol);

        using var response = await Api.PostRaw(carol, "/v1/sessions", body);

        await Api.AssertValidationProblem(response, field);
        Assert.Equal(before, await Api.ListIds(carol));
        Assert.Empty(before);
    }

    [Theory]
    [InlineData("/tmp/nvidia-mps")]
    [InlineData("/etc/ld.so.preload")]
    [InlineData("/usr/local/vgpu/libvgpu.so")]
    public async Task A_gpu_enforcement_path_as_mount_target_is_400_saying_it_is_the_agents(string path)
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);

        using var response = await Api.PostRaw(carol, "/v1/sessions",
            $$"""{"image": "python:3.11", "resources": {"cpu": 1, "memory": "1g"}, "mounts": [{"folder": "data", "path": "{{path}}"}]}""");

        var problem = await Api.AssertValidationProblem(response, "mounts[0].path");
        Assert.Contains("where the agent mounts GPU enforcement", problem.GetProperty("errors").GetProperty("mounts[0].path")[0].GetString());
        Assert.Empty(await Api.ListIds(carol));
    }

    [Fact]
    public async Task Invalid_utf8_in_the_command_is_400_naming_it()
    {
        // Found by the fuzz (seed 1): a command string kept as raw JSON was transcoded only later, as a 500.
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);
        byte[] body = [.. "{\"image\": \"python:3.11\", \"resources\": {\"cpu\": 1, \"memory\": \"1g\"}, \"command\": \"echo "u8, 0xED, 0xA0, 0x80, .. "hi\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await carol.PostAsync("/v1/sessions", content);

        await Api.AssertValidationProblem(response, "command");
        Assert.Empty(await Api.ListIds(carol));
    }

    [Fact]
    public async Task Every_bad_field_is_reported_at_once()
    {
        using var carol = factory.ClientWithKey(GatewayFactory.CarolKey);
        using var response = await Api.PostRaw(carol, "/v1/sessions",
            "{\"name\": \"bad name\", \"type\": \"daemon\", \"resources\": {\"cpu\": -1, \"memory\": \"4x\"}}");

        var problem = await Api.AssertValidationProblem(response, "image");
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "name", "type", "resources.cpu", "resources.memory" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {problem}");
        }

        Assert.Empty(await Api.ListIds(carol));
    }
}
