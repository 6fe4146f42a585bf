using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Gravity.Usage.Sql;

/// <summary>One embedded <c>NNN_name.sql</c> schema script; the number is its version.</summary>
internal sealed partial record SchemaScript(int Version, string Name, string Text)
{
    /// <summary>The placeholder for the table prefix (SQLite) or schema (PostgreSQL) in script text.</summary>
    public const string PrefixToken = "{prefix}";

    /// <summary>Loads the scripts embedded under <paramref name="resourcePrefix"/>, in version order.</summary>
    public static IReadOnlyList<SchemaScript> Load(Assembly assembly, string resourcePrefix)
    {
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(resourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var match = ScriptName().Match(resource[resourcePrefix.Length..]);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Embedded schema script '{resource}' is not named NNN_name.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add(new SchemaScript(
                int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                reader.ReadToEnd()));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < scripts.Count; i++)
        {
            if (scripts[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Embedded schema scripts under '{resourcePrefix}' must be numbered 1, 2, 3 … without gaps.");
            }
        }

        return scripts;
    }

    /// <summary>The script text with the validated prefix in place of <see cref="PrefixToken"/>.</summary>
    public string Render(string prefix) => Text.Replace(PrefixToken, prefix, StringComparison.Ordinal);

    [GeneratedRegex(@"^(?<version>\d{3})_(?<name>[a-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptName();
}
