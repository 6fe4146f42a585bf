using System.Text.RegularExpressions;

namespace Gravity.Usage.Sql;

/// <summary>Checks names that are put into SQL text (table prefixes, schema names), since they cannot be parameters.</summary>
internal static partial class SqlIdentifier
{
    public const int MaxLength = 40;

    /// <summary>Letters, digits and underscores, not starting with a digit: safe unquoted in SQLite and PostgreSQL.</summary>
    public static bool IsSafe(string? name, bool allowEmpty) =>
        name is not null && ((allowEmpty && name.Length == 0) || (name.Length <= MaxLength && SafeName().IsMatch(name)));

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> unless the name is safe.</summary>
    public static void ThrowIfUnsafe(string? name, bool allowEmpty, string paramName)
    {
        if (!IsSafe(name, allowEmpty))
        {
            throw new ArgumentException(DescribeRule(paramName), paramName);
        }
    }

    public static string DescribeRule(string optionName) =>
        $"{optionName} must be ASCII letters, digits and underscores, start with a letter or underscore, and be at most {MaxLength} characters.";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
