using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Gravity.Usage.Sqlite;

/// <summary>
/// Which file a path names (device and inode), so that the store can notice that the ledger file it holds open is no
/// longer the file at its path: deleted (with its -wal) or replaced while the application runs. Writes would then go
/// to a file that no restart will ever open again.
/// </summary>
/// <remarks>
/// One <c>stat</c> call per file, about a microsecond: cheap enough to run before every batch is acknowledged.
/// Supported on Linux and on macOS on Arm, where <c>st_dev</c> and <c>st_ino</c> have fixed places in
/// <c>struct stat</c>; elsewhere (Windows, where an open file cannot be deleted anyway) the check is off.
/// </remarks>
internal readonly record struct LedgerFileIdentity(ulong Device, ulong Inode)
{
    private static volatile bool s_isSupported =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64
        && (OperatingSystem.IsLinux() || (OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64));

    /// <summary>Gets a value indicating whether this platform can tell files apart.</summary>
    public static bool IsSupported => s_isSupported;

    /// <summary>Reads which file <paramref name="path"/> names; <see langword="null"/> when there is none.</summary>
    /// <param name="path">A file path.</param>
    /// <returns>The file's identity, or <see langword="null"/> when the path names no file (or the platform is unsupported).</returns>
    public static LedgerFileIdentity? Of(string path)
    {
        if (!IsSupported)
        {
            return null;
        }

        var buffer = new byte[NativeMethods.StatBufferSize];
        try
        {
            if (NativeMethods.Stat(path, buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without a plain stat symbol: the check is off rather than every write failing. The first call
            // decides, so a file seen once is never reported missing for this reason.
            s_isSupported = false;
            return null;
        }

        // Linux (x86-64 and the generic Arm64 layout): 64-bit st_dev at 0, st_ino at 8. macOS: 32-bit st_dev at 0, st_ino at 8.
        var device = OperatingSystem.IsMacOS()
            ? BinaryPrimitives.ReadUInt32LittleEndian(buffer)
            : BinaryPrimitives.ReadUInt64LittleEndian(buffer);
        return new LedgerFileIdentity(device, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(8)));
    }
}
