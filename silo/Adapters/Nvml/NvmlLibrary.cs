using System.Reflection;
using System.Runtime.InteropServices;

namespace Granary.Silo.Adapters.Nvml;

/// <summary>
/// Decides which file the NVML bindings load: the driver's libnvidia-ml.so.1 by default, or a path
/// from configuration (Granary:Nvml:LibraryPath; tests point it at a fake library).
///
/// .NET allows one DllImport resolver per assembly, and a P/Invoke stays bound to the library it
/// first resolved to. So this class installs the silo assembly's only resolver (any other native
/// library the silo binds must be added here), and one process uses one NVML library: asking for a
/// second path after the first was loaded is a configuration error.
/// </summary>
public static class NvmlLibrary
{
    public const string DefaultPath = NvmlNative.LibraryName;

    private static readonly Lock Gate = new();
    private static bool _resolverInstalled;
    private static string _requestedPath = DefaultPath;
    private static string? _boundPath;

    /// <summary>The path the bindings are bound to, once a call has loaded it.</summary>
    public static string? BoundPath
    {
        get
        {
            lock (Gate)
            {
                return _boundPath;
            }
        }
    }

    /// <summary>Null or empty means the driver's library, found by the system's usual search.</summary>
    public static string Normalize(string? libraryPath) =>
        string.IsNullOrWhiteSpace(libraryPath) ? DefaultPath : libraryPath;

    /// <summary>Makes the bindings load <paramref name="libraryPath"/>.</summary>
    /// <exception cref="InvalidOperationException">Another NVML library is already bound in this process.</exception>
    public static void Use(string? libraryPath)
    {
        var path = Normalize(libraryPath);
        lock (Gate)
        {
            if (_boundPath is not null && _boundPath != path)
            {
                throw new InvalidOperationException(
                    $"NVML is already bound to {_boundPath} in this process; cannot switch to {path}.");
            }

            _requestedPath = path;
            if (!_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(NvmlLibrary).Assembly, Resolve);
                _resolverInstalled = true;
            }
        }
    }

    /// <summary>Whether the library at <paramref name="libraryPath"/> can be loaded at all, and if
    /// not, why (the loader's message).</summary>
    public static bool CanLoad(string? libraryPath, out string problem)
    {
        var path = Normalize(libraryPath);
        try
        {
            var handle = NativeLibrary.Load(path);
            NativeLibrary.Free(handle);
            problem = "";
            return true;
        }
        catch (DllNotFoundException error)
        {
            problem = $"NVML library {path} cannot be loaded (no NVIDIA driver?): {OneLine(error.Message)}";
            return false;
        }
        catch (BadImageFormatException error)
        {
            problem = $"NVML library {path} is not a loadable library: {OneLine(error.Message)}";
            return false;
        }
    }

    /// <summary>The loader's message spans lines (the dlopen error is on the last): keep it on one.</summary>
    private static string OneLine(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NvmlNative.LibraryName)
        {
            return 0; // not ours: the runtime's default probing
        }

        lock (Gate)
        {
            if (!NativeLibrary.TryLoad(_requestedPath, out var handle))
            {
                return 0; // the runtime then throws DllNotFoundException for the call
            }

            _boundPath = _requestedPath;
            return handle;
        }
    }
}
