using System.Formats.Tar;
using System.Text;
using Granary.Agents.Runtime;

namespace Granary.Silo.Adapters.Docker;

/// <summary>Builds, in memory, the tar that Docker's archive API extracts at "/" of a container:
/// one regular file per <see cref="ContainerFile"/>, with its mode and owner. Missing parent folders
/// are created by Docker (root-owned, 0755).</summary>
internal static class ContainerFileArchive
{
    public static MemoryStream Build(IEnumerable<ContainerFile> files)
    {
        var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, EntryName(file.Path))
                {
                    Mode = (UnixFileMode)file.Mode,
                    Uid = file.Uid,
                    Gid = file.Gid,
                    ModificationTime = DateTimeOffset.UtcNow,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(file.Content)),
                };
                writer.WriteEntry(entry);
            }
        }
        archive.Position = 0;
        return archive;
    }

    private static string EntryName(string path)
    {
        if (!path.StartsWith('/') || path.EndsWith('/'))
            throw new ArgumentException($"Container file path '{path}' must be an absolute file path.");
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
            throw new ArgumentException($"Container file path '{path}' must not contain '.' or '..'.");
        return string.Join('/', segments);
    }
}
