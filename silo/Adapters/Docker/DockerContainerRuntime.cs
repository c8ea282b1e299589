using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Granary.Agents.Launch;
using Granary.Agents.Runtime;
using ContainerSpec = Granary.Agents.Runtime.ContainerSpec;
using ContainerState = Granary.Agents.Runtime.ContainerState;

namespace Granary.Silo.Adapters.Docker;

/// <summary>
/// <see cref="IContainerRuntime"/> on the Docker Engine API. What a container is created with (limits, no
/// privileges, capabilities, published ports) is <see cref="DockerContainerParameters"/>, a pure function.
/// Images are never pulled.
/// </summary>
public sealed class DockerContainerRuntime : IContainerRuntime, IDisposable
{
    private static readonly TimeSpan RemovalPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RemovalPollInterval = TimeSpan.FromMilliseconds(100);
    private readonly DockerClient _docker;
    private readonly DockerRuntimeOptions _options;
    private readonly IReadOnlyList<string> _allowedCapabilities;
    private readonly SessionFirewall _firewall;
    private readonly SessionNetworks _networks;

    public DockerContainerRuntime(DockerRuntimeOptions options)
    {
        _options = options;
        _allowedCapabilities = DockerContainerParameters.AllowedCapabilities(options);
        Endpoint = new Uri(options.ResolveEndpoint());
        _docker = new DockerClientBuilder().WithEndpoint(Endpoint).Build();
        if (options.Outbound is not ("allow" or "deny"))
            throw new ArgumentException($"{DockerRuntimeOptions.SectionName}:Outbound '{options.Outbound}' must be allow or deny.", nameof(options));
        _firewall = new SessionFirewall(options);
        _networks = new SessionNetworks(_docker, options, _firewall);
    }

    /// <summary>Where terminals start: the session user's home.</summary>
    public const string TerminalWorkingDirectory = "/home/work";

    public string Name => "docker";

    public Uri Endpoint { get; }

    /// <summary>Throws <see cref="ContainerRuntimeException"/> when the engine does not answer.</summary>
    public Task Ping(CancellationToken cancellationToken)
        => Call("answer a ping", () => _docker.System.PingAsync(cancellationToken));

    public async Task<IReadOnlyList<RuntimeImage>> ListImages(CancellationToken cancellationToken)
    {
        var images = await Call("list images", () => _docker.Images.ListImagesAsync(new ImagesListParameters(), cancellationToken));
        // Only Granary's images: those that carry its labels (build.sh sets them), never the other images on the host.
        return images
            .Where(image => IsGranaryImage(image.Labels))
            .SelectMany(image => (image.RepoTags ?? []).Where(tag => tag != "<none>:<none>")
                .Select(tag => new RuntimeImage(tag, CopyLabels(image.Labels))))
            .OrderBy(image => image.Reference, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<RuntimeImage?> FindImage(string image, CancellationToken cancellationToken)
    {
        try
        {
            var found = await _docker.Images.InspectImageAsync(image, cancellationToken);
            return new RuntimeImage(image, CopyLabels(found.Config?.Labels));
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Describe($"inspect image '{image}'", e);
        }
    }

    public async Task<string> Create(ContainerSpec spec, CancellationToken cancellationToken)
    {
        var image = await FindImage(spec.Image, cancellationToken)
            ?? throw new ContainerRuntimeException(
                $"Image '{spec.Image}' is not present on this node (Docker at {Endpoint} has no such image; " +
                "Granary images are built locally with deploy/images/build.sh and never pulled).");
        if (!IsGranaryImage(image.Labels))
            throw new ContainerRuntimeException(
                $"Image '{spec.Image}' is not a Granary image (it has no {ImageLabels.Environment} label); only images built " +
                "by deploy/images/build.sh, or labelled as its README describes, can run.");

        var network = await _networks.Create(spec, cancellationToken);
        var parameters = DockerContainerParameters.For(spec, image, _options, _allowedCapabilities, network);

        CreateContainerResponse created;
        try
        {
            created = await Call($"create container '{spec.Name}' from '{spec.Image}'",
                () => _docker.Containers.CreateContainerAsync(parameters, cancellationToken));
        }
        catch
        {
            await _networks.Remove(network, CancellationToken.None);
            throw;
        }

        if (spec.Files is { Count: > 0 } files)
        {
            try
            {
                using var archive = ContainerFileArchive.Build(files);
                await Call($"write {files.Count} file(s) into container '{spec.Name}'",
                    () => _docker.Containers.ExtractArchiveToContainerAsync(
                        created.ID, new CopyToContainerParameters { Path = "/" }, archive, cancellationToken));
            }
            catch (Exception writeFailure)
            {
                // Never leave a half-made container behind.
                try
                {
                    await Remove(created.ID, CancellationToken.None);
                }
                catch (Exception removeFailure)
                {
                    throw new AggregateException(writeFailure, removeFailure);
                }
                throw;
            }
        }

        return created.ID;
    }

    public Task Start(string containerId, CancellationToken cancellationToken)
        => Call($"start container {containerId}",
            () => _docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken));

    public async Task<ContainerInfo?> Inspect(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            return ToInfo(await _docker.Containers.InspectContainerAsync(containerId, cancellationToken));
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Describe($"inspect container {containerId}", e);
        }
    }

    public async Task<int> Wait(string containerId, CancellationToken cancellationToken)
    {
        var response = await Call($"wait for container {containerId}",
            () => _docker.Containers.WaitContainerAsync(containerId, cancellationToken));
        return (int)response.StatusCode;
    }

    public async Task<string> Logs(string containerId, int tailLines, CancellationToken cancellationToken)
    {
        var parameters = new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Tail = tailLines.ToString(CultureInfo.InvariantCulture),
        };
        using var stream = await Call($"read the logs of container {containerId}",
            () => _docker.Containers.GetContainerLogsAsync(containerId, parameters, cancellationToken));

        // Frames of stdout and stderr arrive interleaved in the order written; each stream gets its own
        // decoder because a frame boundary may split a UTF-8 character.
        var text = new StringBuilder();
        var decoders = new Dictionary<MultiplexedStream.TargetStream, Decoder>();
        var buffer = new byte[64 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            var read = await Call($"read the logs of container {containerId}",
                () => stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken));
            if (read.EOF)
                break;
            if (!decoders.TryGetValue(read.Target, out var decoder))
                decoders[read.Target] = decoder = Encoding.UTF8.GetDecoder();
            var count = decoder.GetChars(buffer, 0, read.Count, chars, 0, flush: false);
            text.Append(chars, 0, count);
        }
        return text.ToString();
    }

    public async Task Stop(string containerId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var parameters = new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(Math.Max(0, grace.TotalSeconds)) };
        try
        {
            // Returns false (HTTP 304) when the container is not running: nothing to do.
            await _docker.Containers.StopContainerAsync(containerId, parameters, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Describe($"stop container {containerId}", e);
        }
    }

    /// <summary>Removes the container and then its session network. A removal another caller already started (the
    /// session's exit watcher and a stop at the same moment) is waited for, not an error.</summary>
    public async Task Remove(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            var network = (await _docker.Containers.InspectContainerAsync(containerId, cancellationToken)).HostConfig?.NetworkMode;
            try
            {
                await _docker.Containers.RemoveContainerAsync(
                    containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict && e.ResponseBody?.Contains("already in progress", StringComparison.Ordinal) == true)
            {
                await UntilGone(containerId, cancellationToken);
            }
            if (!string.IsNullOrEmpty(network))
                await _networks.Remove(network, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Describe($"remove container {containerId}", e);
        }
    }

    private async Task UntilGone(string containerId, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(RemovalPatience);
        try
        {
            while (true)
            {
                await _docker.Containers.InspectContainerAsync(containerId, patience.Token);
                await Task.Delay(RemovalPollInterval, patience.Token);
            }
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ContainerRuntimeException($"Docker was still removing container {containerId} after {RemovalPatience}.");
        }
    }

    /// <summary>An exec with a TTY, as user, in /home/work (TERM=xterm-256color); closing it hangs the process up.</summary>
    public async Task<IContainerTerminal> OpenTerminal(string containerId, IReadOnlyList<string> command, string user, int columns, int rows, CancellationToken cancellationToken)
    {
        if (columns <= 0 || rows <= 0)
            throw new ArgumentOutOfRangeException(nameof(columns), $"A terminal needs a positive size, not {columns}x{rows}.");
        return await Call($"open a terminal in container {containerId}",
            () => DockerContainerTerminal.Open(_docker, containerId, command, user, TerminalWorkingDirectory, columns, rows, cancellationToken));
    }

    public async Task<IReadOnlyList<ContainerInfo>> List(IReadOnlyDictionary<string, string> labelFilter, CancellationToken cancellationToken)
    {
        var parameters = new ContainersListParameters
        {
            All = true,
            Filters = labelFilter.Count == 0 ? null : new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = labelFilter.ToDictionary(pair => $"{pair.Key}={pair.Value}", _ => true),
            },
        };
        var listed = await Call("list containers", () => _docker.Containers.ListContainersAsync(parameters, cancellationToken));

        // The list summary has no exit code or OOM flag: inspect each (a container removed meanwhile is skipped).
        var containers = new List<ContainerInfo>();
        foreach (var summary in listed)
        {
            if (await Inspect(summary.ID, cancellationToken) is { } info)
                containers.Add(info);
        }
        return containers;
    }

    /// <summary>The host uid and gid of a container's root: (0, 0), or the base of the engine's user namespace
    /// mapping (dockerd --userns-remap).</summary>
    public async Task<(int Uid, int Gid)> RootOnHost(CancellationToken cancellationToken)
    {
        var info = await Call("read the engine's information", () => _docker.System.GetSystemInfoAsync(cancellationToken));
        return DockerUserNamespace.RemapBase(info.DockerRootDir, info.SecurityOptions) ?? (0, 0);
    }

    public Task<int> RemoveLeftovers(IReadOnlyDictionary<string, string> labelFilter, IReadOnlySet<string> keep, CancellationToken cancellationToken)
        => Call("remove unused session networks", () => _networks.RemoveUnused(labelFilter, keep, cancellationToken));

    /// <summary>Closes the engine connection; takes the session firewall down when no session bridge is left.</summary>
    public void Dispose()
    {
        _docker.Dispose();
        _firewall.RemoveIfUnused();
    }

    private static bool IsGranaryImage(IEnumerable<KeyValuePair<string, string>>? labels)
        => labels is not null && labels.Any(label => label.Key == ImageLabels.Environment && !string.IsNullOrWhiteSpace(label.Value));

    private static ContainerInfo ToInfo(ContainerInspectResponse container)
    {
        var state = container.State?.Status switch
        {
            "created" => ContainerState.Created,
            "running" => ContainerState.Running,
            "exited" or "dead" => ContainerState.Exited,
            _ => ContainerState.Other,
        };
        var ports = new Dictionary<int, int>();
        foreach (var (key, bindings) in container.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>())
        {
            var hostPort = bindings?.Select(b => b.HostPort).FirstOrDefault(p => !string.IsNullOrEmpty(p));
            if (hostPort is not null && int.TryParse(key.Split('/')[0], CultureInfo.InvariantCulture, out var containerPort))
                ports[containerPort] = int.Parse(hostPort, CultureInfo.InvariantCulture);
        }
        return new ContainerInfo(
            container.ID,
            container.Name.TrimStart('/'),
            container.Config?.Image ?? container.Image,
            state,
            state == ContainerState.Exited ? (int)container.State!.ExitCode : null,
            container.State?.OOMKilled ?? false,
            CopyLabels(container.Config?.Labels),
            ports,
            state == ContainerState.Running && container.State?.Pid is > 0 ? (int)container.State.Pid : null);
    }

    private static Dictionary<string, string> CopyLabels(IDictionary<string, string>? labels)
        => labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels);

    private async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Describe(what, e);
        }
    }

    private async Task Call(string what, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw Describe(what, e);
        }
    }

    private static bool IsEngineFailure(Exception e)
        => e is DockerApiException or HttpRequestException or SocketException or IOException;

    private ContainerRuntimeException Describe(string what, Exception e) => e switch
    {
        DockerApiException api => new ContainerRuntimeException(
            $"Docker could not {what}: {EngineMessage(api)} (HTTP {(int)api.StatusCode})."),
        _ => new ContainerRuntimeException(
            $"Docker engine at {Endpoint} is not reachable (while trying to {what}): {e.Message}"),
    };

    /// <summary>The "message" of the engine's JSON error body, else the body as is.</summary>
    private static string EngineMessage(DockerApiException e)
    {
        var responseBody = e.ResponseBody ?? "";
        try
        {
            using var body = JsonDocument.Parse(responseBody);
            if (body.RootElement.TryGetProperty("message", out var message) && message.GetString() is { } text)
                return text.Trim();
        }
        catch (JsonException)
        {
            // Not JSON: the body itself is the message.
        }
        return responseBody.Trim();
    }
}
