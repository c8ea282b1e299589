using System.Collections.Concurrent;
using Granary.Agents;
using Granary.Agents.Runtime;
using Microsoft.Extensions.Options;

namespace Granary.Silo.Adapters.Simulated;

/// <summary>
/// Containers that exist only in memory, for tests, benchmarks and laptops without Docker. A start can be delayed
/// made to fail (by image name or at random) or to hang (by image name); tests end a container with Exit.
/// </summary>
public sealed class SimulatedContainerRuntime : IContainerRuntime
{
    private static int _nextHostPort = 40000;
    private static long _nextContainer;
    private readonly ConcurrentDictionary<string, SimulatedContainer> _containers = new();
    // Container ids by session label: an agent lists a session's containers at every stop, which would otherwise
    // scan every container of the process (the throughput benchmark holds thousands).
    private readonly Dictionary<string, HashSet<string>> _bySession = new(StringComparer.Ordinal);
    private readonly Lock _bySessionLock = new();
    private readonly ConcurrentDictionary<string, RuntimeImage> _images = new();
    private readonly HashSet<string> _failingImages;
    private readonly HashSet<string> _hangingImages;
    private readonly SimulatedRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    public SimulatedContainerRuntime(IOptions<SimulatedRuntimeOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _random = new Random(_options.Seed);
        _failingImages = [.. _options.FailingImages ?? []];
        _hangingImages = [.. _options.HangingImages ?? []];
        foreach (var image in _options.Images ?? SimulatedRuntimeOptions.DefaultImages)
        {
            AddImage(image);
        }
        foreach (var image in _options.LabelledImages)
        {
            _images[image.Reference] = new RuntimeImage(image.Reference, image.Labels);
        }
    }

    public string Name => "simulated";

    public IReadOnlyCollection<ContainerInfo> Containers => _containers.Values.Select(c => c.Info()).ToArray();

    /// <summary>What the container was created with (limits, env, labels, files), for tests.</summary>
    public ContainerSpec SpecOf(string containerId) => Get(containerId).Spec;

    public void AddImage(string reference) => _images[reference] = new RuntimeImage(reference, _options.ImageLabels);

    public void RemoveImage(string reference) => _images.TryRemove(reference, out _);

    /// <summary>Ends a running container as if its main process exited with this code.</summary>
    public void Exit(string containerId, int exitCode)
    {
        if (!_containers.TryGetValue(containerId, out var container))
        {
            throw new KeyNotFoundException($"No simulated container '{containerId}'.");
        }
        container.Exit(exitCode, oomKilled: false);
    }

    public Task<IReadOnlyList<RuntimeImage>> ListImages(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RuntimeImage>>(_images.Values.OrderBy(i => i.Reference, StringComparer.Ordinal).ToArray());

    public Task<RuntimeImage?> FindImage(string image, CancellationToken cancellationToken) =>
        Task.FromResult(_images.GetValueOrDefault(image));

    public Task<string> Create(ContainerSpec spec, CancellationToken cancellationToken)
    {
        if (!_images.ContainsKey(spec.Image))
        {
            throw new InvalidOperationException($"No such image: {spec.Image}");
        }
        var ports = spec.PublishedPorts.ToDictionary(p => p, _ => Interlocked.Increment(ref _nextHostPort));
        // Unique in the process, like Docker's 64 hex digits but without a random draw per container.
        var container = new SimulatedContainer(Interlocked.Increment(ref _nextContainer).ToString("x64"), spec, ports);
        _containers[container.Id] = container;
        if (spec.Labels.TryGetValue(ContainerLabels.Session, out var session))
        {
            lock (_bySessionLock)
            {
                if (!_bySession.TryGetValue(session, out var ids))
                {
                    _bySession[session] = ids = [];
                }
                ids.Add(container.Id);
            }
        }
        return Task.FromResult(container.Id);
    }

    public async Task Start(string containerId, CancellationToken cancellationToken)
    {
        var container = Get(containerId);
        if (_options.StartDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.StartDelay, _time, cancellationToken);
        }
        if (_hangingImages.Contains(container.Spec.Image))
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken);
        }
        if (_failingImages.Contains(container.Spec.Image))
        {
            throw new InvalidOperationException($"simulated start failure: image {container.Spec.Image} is set to fail");
        }
        if (FailsAtRandom())
        {
            throw new InvalidOperationException("simulated start failure (random)");
        }
        container.Start();
    }

    public Task<ContainerInfo?> Inspect(string containerId, CancellationToken cancellationToken) =>
        Task.FromResult(_containers.GetValueOrDefault(containerId)?.Info());

    public Task<int> Wait(string containerId, CancellationToken cancellationToken) =>
        Get(containerId).Exited.WaitAsync(cancellationToken);

    public Task<string> Logs(string containerId, int tailLines, CancellationToken cancellationToken) =>
        Task.FromResult(Get(containerId).LogTail(tailLines));

    public Task Stop(string containerId, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_containers.TryGetValue(containerId, out var container))
        {
            container.Exit(grace > TimeSpan.Zero ? 143 : 137, oomKilled: false);
        }
        return Task.CompletedTask;
    }

    public Task Remove(string containerId, CancellationToken cancellationToken)
    {
        if (_containers.TryRemove(containerId, out var container))
        {
            container.Exit(137, oomKilled: false);
            if (container.Spec.Labels.TryGetValue(ContainerLabels.Session, out var session))
            {
                lock (_bySessionLock)
                {
                    if (_bySession.TryGetValue(session, out var ids) && ids.Remove(containerId) && ids.Count == 0)
                    {
                        _bySession.Remove(session);
                    }
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task<IContainerTerminal> OpenTerminal(string containerId, IReadOnlyList<string> command, string user, int columns, int rows, CancellationToken cancellationToken)
    {
        if (Get(containerId).Info().State != ContainerState.Running)
        {
            throw new InvalidOperationException($"Container {containerId} is not running.");
        }
        return Task.FromResult<IContainerTerminal>(new SimulatedTerminal(containerId, command, columns, rows));
    }

    public Task<IReadOnlyList<ContainerInfo>> List(IReadOnlyDictionary<string, string> labelFilter, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ContainerInfo>>(Candidates(labelFilter)
            .Where(c => labelFilter.All(f => c.Spec.Labels.TryGetValue(f.Key, out var value) && value == f.Value))
            .Select(c => c.Info())
            .ToArray());

    /// <summary>The containers a filter can match: one session's, or every one (enumerated without the lock that
    /// ConcurrentDictionary.Values takes on every bucket).</summary>
    private IEnumerable<SimulatedContainer> Candidates(IReadOnlyDictionary<string, string> labelFilter)
    {
        if (!labelFilter.TryGetValue(ContainerLabels.Session, out var session))
        {
            return _containers.Select(pair => pair.Value);
        }
        lock (_bySessionLock)
        {
            return _bySession.TryGetValue(session, out var ids)
                ? ids.Select(_containers.GetValueOrDefault).OfType<SimulatedContainer>().ToArray()
                : [];
        }
    }

    /// <summary>Simulated containers have nothing beside them.</summary>
    public Task<int> RemoveLeftovers(IReadOnlyDictionary<string, string> labelFilter, IReadOnlySet<string> keep, CancellationToken cancellationToken) =>
        Task.FromResult(0);

    private SimulatedContainer Get(string containerId) =>
        _containers.GetValueOrDefault(containerId) ?? throw new InvalidOperationException($"No such container: {containerId}");

    private bool FailsAtRandom()
    {
        if (_options.FailureProbability <= 0)
        {
            return false;
        }
        lock (_randomLock)
        {
            return _random.NextDouble() < _options.FailureProbability;
        }
    }

    private sealed class SimulatedContainer(string id, ContainerSpec spec, IReadOnlyDictionary<int, int> ports)
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private ContainerState _state = ContainerState.Created;
        private int? _exitCode;
        private bool _oomKilled;

        public string Id => id;
        public ContainerSpec Spec => spec;
        public Task<int> Exited => _exited.Task;
        private readonly List<string> _log = [];

        public void Start()
        {
            lock (_lock)
            {
                _state = ContainerState.Running;
                _log.Add($"simulated container {id} started from {spec.Image}");
            }
        }

        public void Exit(int exitCode, bool oomKilled)
        {
            lock (_lock)
            {
                if (_state == ContainerState.Exited)
                {
                    return;
                }
                _state = ContainerState.Exited;
                _exitCode = exitCode;
                _oomKilled = oomKilled;
                _log.Add($"exited with code {exitCode}");
            }
            _exited.TrySetResult(exitCode);
        }

        public string LogTail(int lines)
        {
            lock (_lock)
            {
                return string.Join('\n', _log.TakeLast(lines));
            }
        }

        public ContainerInfo Info()
        {
            lock (_lock)
            {
                return new ContainerInfo(id, spec.Name, spec.Image, _state, _exitCode, _oomKilled, spec.Labels, ports);
            }
        }
    }
}
