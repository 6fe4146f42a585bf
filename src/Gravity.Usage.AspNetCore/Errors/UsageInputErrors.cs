using System.Diagnostics;
using System.Reflection;

namespace Gravity.Usage.AspNetCore.Errors;

/// <summary>
/// Tells the library's input errors from every other <see cref="ArgumentException"/>: an exception counts when the
/// first frame of its stack trace outside the runtime's own throw helpers (<c>ArgumentException.ThrowIfNull…</c>,
/// <c>ArgumentOutOfRangeException.ThrowIf…</c>) is in a Gravity.Usage assembly (the core, or a store package), that is,
/// the library threw it while checking what it was given. An <see cref="ArgumentException"/> the host throws, or one a
/// third-party library throws underneath (Dapper, Npgsql), is left to the host's own handling.
/// </summary>
/// <remarks>
/// Stack frames need the methods' metadata: in a trimmed or native AOT app without it nothing is mapped (the host's
/// handling applies, which fails safe). Should the library adopt a marker type for its input errors later, this is the
/// one place to change.
/// </remarks>
internal static class UsageInputErrors
{
    private static readonly Assembly s_runtime = typeof(object).Assembly;

    /// <summary>Whether <paramref name="exception"/> is an input error the library raised.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns><see langword="true"/> for an <see cref="ArgumentException"/> thrown by Gravity.Usage's own checks.</returns>
    public static bool IsFromLibrary(Exception exception)
    {
        if (exception is not ArgumentException)
        {
            return false;
        }

        foreach (var frame in new StackTrace(exception, fNeedFileInfo: false).GetFrames())
        {
            var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            if (assembly is null)
            {
                return false;
            }

            if (assembly == s_runtime)
            {
                continue;
            }

            return IsLibraryAssembly(assembly);
        }

        return false;
    }

    private static bool IsLibraryAssembly(Assembly assembly) => assembly.GetName().Name is "Gravity.Usage" or "Gravity.Usage.PostgreSql";
}
