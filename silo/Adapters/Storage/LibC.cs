using System.Runtime.InteropServices;

namespace Granary.Folders;

internal static class LibC
{
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    internal static extern int chown(string path, int owner, int group);
}
