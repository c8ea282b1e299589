using Granary.Agents;
using Granary.Resources;

namespace Granary.Devices;

/// <summary>
/// The fractional allocation map of one node's GPUs: per device, which session holds how many milli-GPU
/// (1000 = the whole device). It chooses shares (whole devices, best fit onto one device, or an even split
/// across the fewest devices) and records them; no device ever holds more than 1000.
/// A MIG instance is a slot: held whole by one session, its size the milli-GPU of its GPU it covers
/// (<see cref="MigSlots.CoverMilli"/>). A fraction goes to the smallest free device or slot that holds it (a slot
/// holds it when it covers it, and is then taken whole); a request may name a slot's profile instead. Slots are
/// never split across. On a node whose fractions only MIG enforces, fractions go to slots only.
/// </summary>
public sealed class GpuAllocationMap
{
    public const int DeviceMilli = 1000;

    private readonly GpuDeviceInfo[] _devices;            // ordered by Index, then Uuid
    private readonly Dictionary<string, int> _position;   // uuid → position in _devices
    private readonly int[] _used;                         // milli used per position
    private readonly Dictionary<string, int>[] _shares;   // per position: session → milli
    private readonly Dictionary<string, GpuShare[]> _bySession;
    private readonly int[] _capacity;                     // milli per position: 1000, or a MIG slot's cover (at least 1)
    private readonly bool[] _isSlot;                      // per position: a MIG instance
    private readonly int _totalMilli;
    private int _usedTotal;

    /// <param name="fractionsOnMigSlotsOnly">True on a node whose fractions only MIG enforces (mode <c>mig</c>):
    /// a device that is not a MIG instance is then given whole only.</param>
    public GpuAllocationMap(IEnumerable<GpuDeviceInfo> devices, bool fractionsOnMigSlotsOnly = false)
    {
        ArgumentNullException.ThrowIfNull(devices);
        _devices = devices.OrderBy(d => d.Index).ThenBy(d => d.Uuid, StringComparer.Ordinal).ToArray();
        _position = new Dictionary<string, int>(_devices.Length, StringComparer.Ordinal);
        for (var i = 0; i < _devices.Length; i++)
        {
            if (!_position.TryAdd(_devices[i].Uuid, i))
                throw new ArgumentException($"GPU {_devices[i].Uuid} is listed twice.", nameof(devices));
        }
        _used = new int[_devices.Length];
        _shares = new Dictionary<string, int>[_devices.Length];
        for (var i = 0; i < _shares.Length; i++) _shares[i] = new Dictionary<string, int>(StringComparer.Ordinal);
        _bySession = new Dictionary<string, GpuShare[]>(StringComparer.Ordinal);
        _capacity = new int[_devices.Length];
        _isSlot = new bool[_devices.Length];
        for (var i = 0; i < _devices.Length; i++)
        {
            _isSlot[i] = _devices[i].IsMigInstance;
            _capacity[i] = MigSlots.SlotMilli(_devices[i]);
            _totalMilli += _capacity[i];
        }
        HasMigSlots = _isSlot.Contains(true);
        FractionsOnMigSlotsOnly = fractionsOnMigSlotsOnly;
    }

    private GpuAllocationMap(GpuAllocationMap other)
    {
        _devices = other._devices;
        _position = other._position;
        _used = (int[])other._used.Clone();
        _shares = new Dictionary<string, int>[other._shares.Length];
        for (var i = 0; i < _shares.Length; i++) _shares[i] = new Dictionary<string, int>(other._shares[i], StringComparer.Ordinal);
        _bySession = new Dictionary<string, GpuShare[]>(other._bySession, StringComparer.Ordinal);
        _usedTotal = other._usedTotal;
        _capacity = other._capacity;
        _isSlot = other._isSlot;
        _totalMilli = other._totalMilli;
        HasMigSlots = other.HasMigSlots;
        FractionsOnMigSlotsOnly = other.FractionsOnMigSlotsOnly;
    }

    /// <summary>An independent copy (devices are shared, they never change).</summary>
    public GpuAllocationMap Clone() => new(this);

    public IReadOnlyList<GpuDeviceInfo> Devices => _devices;
    public int TotalMilli => _totalMilli;
    public int UsedMilli => _usedTotal;
    public int FreeMilli => TotalMilli - _usedTotal;
    public bool IsEmpty => _usedTotal == 0;

    public int DeviceCount => _devices.Length;

    /// <summary>Whether any device is a MIG instance (a slot held whole).</summary>
    public bool HasMigSlots { get; }

    /// <summary>Whether fractions go to MIG slots only (a <c>mig</c> node).</summary>
    public bool FractionsOnMigSlotsOnly { get; }

    /// <summary>Free milli-GPU of the device at this position (devices ordered by index): a fast path for scorers.</summary>
    public int FreeMilliAt(int position) => _capacity[position] - _used[position];

    public bool Contains(string uuid) => _position.ContainsKey(uuid);
    public int UsedMilliOf(string uuid) => _used[PositionOf(uuid)];
    public int FreeMilliOf(string uuid) => FreeMilliAt(PositionOf(uuid));

    /// <summary>The milli-GPU the device holds: 1000, or for a MIG slot what it covers of its GPU.</summary>
    public int CapacityMilliOf(string uuid) => _capacity[PositionOf(uuid)];

    /// <summary>session → milli-GPU held on this device.</summary>
    public IReadOnlyDictionary<string, int> SharesOn(string uuid) => _shares[PositionOf(uuid)];

    public bool Holds(string sessionId) => _bySession.ContainsKey(sessionId);

    /// <summary>The shares the session holds here; empty when none.</summary>
    public IReadOnlyList<GpuShare> SharesOf(string sessionId) => _bySession.TryGetValue(sessionId, out var s) ? s : [];

    public static bool ModelMatches(GpuDeviceInfo device, string[]? models)
    {
        if (models is null || models.Length == 0) return true;
        foreach (var model in models)
            if (string.Equals(model, device.Model, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Whether any device is of one of the models (any device at all when models is empty).</summary>
    public bool HasModel(string[]? models)
    {
        foreach (var device in _devices)
            if (ModelMatches(device, models)) return true;
        return false;
    }

    public int CountFullyFree(string[]? models = null)
    {
        var count = 0;
        for (var i = 0; i < _devices.Length; i++)
            if (_used[i] == 0 && _capacity[i] == DeviceMilli && ModelMatches(_devices[i], models)) count++;
        return count;
    }

    /// <summary>The total free milli-GPU on devices of the models.</summary>
    public int FreeMilliOfModels(string[]? models)
    {
        if (models is null || models.Length == 0) return FreeMilli;
        var free = 0;
        for (var i = 0; i < _devices.Length; i++)
            if (ModelMatches(_devices[i], models)) free += _capacity[i] - _used[i];
        return free;
    }

    public bool CanFitWhole(int count, string[]? models = null) => count > 0 && CountFullyFree(models) >= count;

    /// <summary>The first <paramref name="count"/> fully free devices of the models, lowest index first; null when there are not enough.</summary>
    public GpuShare[]? FindWhole(int count, string[]? models = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!CanFitWhole(count, models)) return null;
        var shares = new GpuShare[count];
        var n = 0;
        for (var i = 0; i < _devices.Length && n < count; i++)
            if (_used[i] == 0 && _capacity[i] == DeviceMilli && ModelMatches(_devices[i], models)) shares[n++] = new GpuShare(_devices[i].Uuid, DeviceMilli);
        return shares;
    }

    /// <summary>The most milli-GPU of a fraction that any one device of the models could take (0 when none).</summary>
    public int LargestFreeShare(string[]? models = null)
    {
        var largest = 0;
        for (var i = 0; i < _devices.Length; i++)
            if (TakesFractions(i) && ModelMatches(_devices[i], models)) largest = Math.Max(largest, _capacity[i] - _used[i]);
        return largest;
    }

    /// <summary>Whether one device of the models has <paramref name="milli"/> free (no split across devices).</summary>
    public bool CanFitOnOneDevice(int milli, string[]? models = null)
    {
        if (HasMigSlots || FractionsOnMigSlotsOnly)
            return SelectOne(milli, models) >= 0;
        for (var i = 0; i < _devices.Length; i++)
            if (DeviceMilli - _used[i] >= milli && ModelMatches(_devices[i], models)) return true;
        return false;
    }

    /// <summary>Whether a device of the models already in use (not a MIG slot) has <paramref name="milli"/> free: a share
    /// that fits there leaves every whole device whole.</summary>
    public bool CanFitOnDeviceInUse(int milli, string[]? models = null) => BestDeviceInUse(milli, models) >= 0;

    /// <summary>The share on the device in use with the least room that holds <paramref name="milli"/> (lowest index
    /// on ties); null when none does.</summary>
    public GpuShare[]? FindOnDeviceInUse(int milli, string[]? models = null) =>
        BestDeviceInUse(milli, models) is var best and >= 0 ? [new GpuShare(_devices[best].Uuid, milli)] : null;

    private int BestDeviceInUse(int milli, string[]? models)
    {
        var best = -1;
        for (var i = 0; i < _devices.Length; i++)
        {
            var free = _capacity[i] - _used[i];
            if (!_isSlot[i] && _used[i] > 0 && free >= milli && ModelMatches(_devices[i], models)
                && (best < 0 || free < _capacity[best] - _used[best]))
                best = i;
        }
        return best;
    }

    /// <summary>The largest free MIG slot of the models (null when every slot is held or there is none).</summary>
    public GpuDeviceInfo? LargestFreeSlot(string[]? models = null)
    {
        var best = -1;
        for (var i = 0; i < _devices.Length; i++)
            if (_isSlot[i] && _used[i] == 0 && ModelMatches(_devices[i], models) && (best < 0 || _capacity[i] > _capacity[best]))
                best = i;
        return best < 0 ? null : _devices[best];
    }

    /// <summary>Whether any MIG slot of the models has this profile, held or not.</summary>
    public bool HasProfile(string profile, string[]? models = null)
    {
        for (var i = 0; i < _devices.Length; i++)
            if (_isSlot[i] && _devices[i].MigProfile == profile && ModelMatches(_devices[i], models)) return true;
        return false;
    }

    /// <summary>The free MIG slot of this profile (and the models) with the lowest index: the whole slot; null when none is free.</summary>
    public GpuShare[]? FindProfile(string profile, string[]? models = null)
    {
        for (var i = 0; i < _devices.Length; i++)
            if (_isSlot[i] && _used[i] == 0 && _devices[i].MigProfile == profile && ModelMatches(_devices[i], models))
                return [new GpuShare(_devices[i].Uuid, _capacity[i])];
        return null;
    }

    // Whether the position may take a fraction: a MIG slot always (whole), a device unless fractions go to slots only.
    private bool TakesFractions(int position) => _isSlot[position] || !FractionsOnMigSlotsOnly;

    // The position that best fits milli on its own: among slots that cover it and (unless slots only) devices with
    // room, the one with the least free; the lowest position on ties. -1 when none.
    private int SelectOne(int milli, string[]? models)
    {
        var best = -1;
        var bestFree = int.MaxValue;
        for (var i = 0; i < _devices.Length; i++)
        {
            if (!TakesFractions(i) || (_isSlot[i] && _used[i] > 0)) continue;
            var free = _capacity[i] - _used[i];
            if (free >= milli && free < bestFree && ModelMatches(_devices[i], models)) { best = i; bestFree = free; }
        }
        return best;
    }

    public bool CanFitFraction(int milli, string[]? models = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(milli);
        if (milli > FreeMilliOfModels(models)) return false;
        Span<int> positions = _devices.Length <= 128 ? stackalloc int[_devices.Length] : new int[_devices.Length];
        Span<int> amounts = _devices.Length <= 128 ? stackalloc int[_devices.Length] : new int[_devices.Length];
        return SelectFraction(milli, models, positions, amounts) > 0;
    }

    /// <summary>
    /// Shares for <paramref name="milli"/> milli-GPU: the single device with the least free share that still holds it
    /// (best fit); otherwise (or when milli exceeds one device) an even split across the fewest devices, which sums
    /// exactly to milli. Null when it does not fit.
    /// </summary>
    public GpuShare[]? FindFraction(int milli, string[]? models = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(milli);
        if (milli > FreeMilliOfModels(models)) return null;
        var positions = new int[_devices.Length];
        var amounts = new int[_devices.Length];
        var count = SelectFraction(milli, models, positions, amounts);
        if (count == 0) return null;
        var shares = new GpuShare[count];
        for (var i = 0; i < count; i++) shares[i] = new GpuShare(_devices[positions[i]].Uuid, amounts[i]);
        return shares;
    }

    private int SelectFraction(int milli, string[]? models, Span<int> positions, Span<int> amounts)
    {
        if (HasMigSlots || FractionsOnMigSlotsOnly)
        {
            var one = milli <= DeviceMilli ? SelectOne(milli, models) : -1;
            if (one >= 0)
            {
                positions[0] = one;
                amounts[0] = _isSlot[one] ? _capacity[one] : milli;   // a slot is taken whole
                return 1;
            }
            if (FractionsOnMigSlotsOnly) return 0;                    // slots are never split across
        }
        else if (milli <= DeviceMilli)
        {
            var best = -1;
            for (var i = 0; i < _devices.Length; i++)
            {
                var free = DeviceMilli - _used[i];
                if (free >= milli && ModelMatches(_devices[i], models) && (best < 0 || free < DeviceMilli - _used[best]))
                    best = i;
            }
            if (best >= 0)
            {
                positions[0] = best;
                amounts[0] = milli;
                return 1;
            }
        }

        // Candidates sorted by (free, position) ascending, packed into one long each.
        Span<long> sorted = _devices.Length <= 128 ? stackalloc long[_devices.Length] : new long[_devices.Length];
        var n = 0;
        for (var i = 0; i < _devices.Length; i++)
        {
            var free = DeviceMilli - _used[i];
            if (free > 0 && !_isSlot[i] && ModelMatches(_devices[i], models)) sorted[n++] = ((long)free << 32) | (uint)i;
        }
        sorted = sorted[..n];
        sorted.Sort();

        Span<bool> taken = n <= 128 ? stackalloc bool[n] : new bool[n];
        var minDevices = Math.Max(2, (milli + DeviceMilli - 1) / DeviceMilli);
        for (var k = minDevices; k <= n; k++)
        {
            int q = milli / k, r = milli % k;
            if (q == 0) break;
            // The k devices with the most free share: the r largest take q+1, the rest q.
            if (FreeOf(sorted[n - k]) < q || (r > 0 && FreeOf(sorted[n - r]) < q + 1)) continue;

            // Feasible with k devices; take the tightest ones (best fit): first the r smallest holding q+1,
            // then the k-r smallest of the others holding q.
            var count = 0;
            for (var j = 0; j < n && count < r; j++)
                if (FreeOf(sorted[j]) >= q + 1) { taken[j] = true; positions[count] = DeviceOf(sorted[j]); amounts[count++] = q + 1; }
            for (var j = 0; j < n && count < k; j++)
                if (!taken[j] && FreeOf(sorted[j]) >= q) { positions[count] = DeviceOf(sorted[j]); amounts[count++] = q; }
            SortByPosition(positions[..count], amounts[..count]);
            return count;
        }
        return 0;

        static int FreeOf(long packed) => (int)(packed >> 32);
        static int DeviceOf(long packed) => (int)(packed & 0xFFFFFFFF);
    }

    private static void SortByPosition(Span<int> positions, Span<int> amounts)
    {
        for (var i = 1; i < positions.Length; i++)
            for (var j = i; j > 0 && positions[j - 1] > positions[j]; j--)
            {
                (positions[j - 1], positions[j]) = (positions[j], positions[j - 1]);
                (amounts[j - 1], amounts[j]) = (amounts[j], amounts[j - 1]);
            }
    }

    /// <summary>Records exactly these shares for the session; false (with the reason, nothing changed) when the
    /// session already holds shares here, a device is unknown or named twice, a share is not 1..1000, or it does not fit.</summary>
    public bool TryAllocate(string sessionId, IReadOnlyList<GpuShare> shares, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(shares);
        if (_bySession.ContainsKey(sessionId)) { reason = $"session {sessionId} already holds GPU shares here"; return false; }
        if (shares.Count == 0) { reason = "no GPU shares given"; return false; }
        for (var i = 0; i < shares.Count; i++)
        {
            var share = shares[i];
            if (share is null || !_position.TryGetValue(share.Uuid, out var pos)) { reason = $"unknown GPU {share?.Uuid}"; return false; }
            if (share.Milli is <= 0 or > DeviceMilli) { reason = $"GPU share {share.Milli} on {share.Uuid} is not between 1 and {DeviceMilli} milli-GPU"; return false; }
            for (var j = 0; j < i; j++)
                if (shares[j].Uuid == share.Uuid) { reason = $"GPU {share.Uuid} is named twice"; return false; }
            if (_isSlot[pos] && (_used[pos] > 0 || share.Milli != _capacity[pos]))
            {
                reason = _used[pos] > 0
                    ? $"MIG instance {share.Uuid} is held by another session"
                    : $"MIG instance {share.Uuid} is held whole ({_capacity[pos]} milli-GPU) or not at all, not {share.Milli} milli-GPU of it";
                return false;
            }
            if (!_isSlot[pos] && FractionsOnMigSlotsOnly && share.Milli != DeviceMilli)
            {
                reason = $"GPU {share.Uuid} is not a MIG instance: this node gives it whole, not {share.Milli} milli-GPU of it";
                return false;
            }
            if (share.Milli > _capacity[pos] - _used[pos])
            {
                reason = $"GPU {share.Uuid} has {_capacity[pos] - _used[pos]} milli-GPU free, {share.Milli} needed";
                return false;
            }
        }

        var copy = shares.ToArray();
        foreach (var share in copy)
        {
            var pos = _position[share.Uuid];
            _used[pos] += share.Milli;
            _shares[pos][sessionId] = share.Milli;
            _usedTotal += share.Milli;
        }
        _bySession[sessionId] = copy;
        reason = null;
        return true;
    }

    /// <summary>Finds and records whole devices for the session; null when they do not fit.</summary>
    public GpuShare[]? AllocateWhole(string sessionId, int count, string[]? models = null) =>
        FindWhole(count, models) is { } shares && TryAllocate(sessionId, shares, out _) ? shares : null;

    /// <summary>Finds and records a fractional amount for the session; null when it does not fit.</summary>
    public GpuShare[]? AllocateFraction(string sessionId, int milli, string[]? models = null) =>
        FindFraction(milli, models) is { } shares && TryAllocate(sessionId, shares, out _) ? shares : null;

    /// <summary>Gives back everything the session holds; false when it held nothing.</summary>
    public bool Free(string sessionId)
    {
        if (!_bySession.Remove(sessionId, out var shares)) return false;
        foreach (var share in shares)
        {
            var pos = _position[share.Uuid];
            _used[pos] -= share.Milli;
            _shares[pos].Remove(sessionId);
            _usedTotal -= share.Milli;
        }
        return true;
    }

    private int PositionOf(string uuid) =>
        _position.TryGetValue(uuid, out var pos) ? pos : throw new KeyNotFoundException($"Unknown GPU {uuid}.");
}
