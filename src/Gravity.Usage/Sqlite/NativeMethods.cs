using System.Runtime.InteropServices;

namespace Gravity.Usage.Sqlite;

/// <summary>The one system call the SQLite store makes itself: <c>stat</c>, to learn which file a path names.</summary>
internal static partial class NativeMethods
{
    /// <summary>Large enough for <c>struct stat</c> on every supported platform (144 bytes on x86-64 Linux).</summary>
    public const int StatBufferSize = 256;

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Stat(string path, [Out] byte[] buffer);
}
