using System.Globalization;

namespace Gravity.Usage.Testing.Internal;

/// <summary>The shape of a v1 parameter.</summary>
internal enum ParamShape
{
    /// <summary>A string (numbers and booleans are strings on the wire).</summary>
    Scalar,

    /// <summary>A hash with a fixed set of keys, e.g. <c>default_aggregation[formula]</c>.</summary>
    Hash,

    /// <summary>A hash with any string keys, e.g. <c>payload[...]</c>.</summary>
    FreeHash,

    /// <summary>An indexed array, e.g. <c>expand[0]</c>.</summary>
    Array,
}

/// <summary>One parameter an endpoint accepts.</summary>
internal sealed record ParamSpec(string Name, ParamShape Shape, bool Required = false, params string[] Keys)
{
    public static ParamSpec Expand { get; } = new("expand", ParamShape.Array);
}

/// <summary>Typed reads of decoded parameters; every failure is a Stripe parameter error.</summary>
internal static class Parameters
{
    /// <summary>Rejects unknown parameters, wrong shapes and missing required parameters.</summary>
    public static void Validate(FormNode root, IReadOnlyList<ParamSpec> specs)
    {
        foreach (var (name, node) in root.Children!)
        {
            var spec = specs.FirstOrDefault(s => s.Name == name) ?? throw StripeErrors.Unknown(name);
            switch (spec.Shape)
            {
                case ParamShape.Scalar when node.IsMap:
                    throw StripeErrors.Invalid(name, $"Invalid {name}: expected a string, not a hash or array.");
                case ParamShape.Hash or ParamShape.FreeHash or ParamShape.Array when !node.IsMap && node.Value!.Length > 0:
                    throw StripeErrors.Invalid(name, $"Invalid {(spec.Shape == ParamShape.Array ? "array" : "hash")}: {name}");
                case ParamShape.Hash or ParamShape.FreeHash or ParamShape.Array when node.IsMap:
                    foreach (var (key, child) in node.Children!)
                    {
                        var path = FormNode.PathOf(name, key);
                        if (spec.Shape == ParamShape.Hash && !spec.Keys.Contains(key, StringComparer.Ordinal))
                        {
                            throw StripeErrors.Unknown(path);
                        }

                        if (child.IsMap)
                        {
                            throw StripeErrors.Invalid(path, $"Invalid {path}: expected a string, not a hash or array.");
                        }
                    }

                    break;
            }
        }

        foreach (var spec in specs)
        {
            if (spec.Required && IsUnset(root.Get(spec.Name)))
            {
                throw StripeErrors.Missing(spec.Name);
            }
        }
    }

    public static bool IsUnset(FormNode? node) =>
        node is null || (node.IsMap ? node.Children!.Count == 0 : node.Value!.Length == 0);

    public static string? OptionalString(this FormNode root, string name)
    {
        var node = root.Get(name);
        return node is null || node.IsMap || node.Value!.Length == 0 ? null : node.Value;
    }

    public static string RequiredString(this FormNode root, string name) =>
        root.OptionalString(name) ?? throw StripeErrors.Missing(name);

    public static long? OptionalLong(this FormNode root, string name)
    {
        var text = root.OptionalString(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw StripeErrors.InvalidInteger(name, text);
    }

    public static long RequiredLong(this FormNode root, string name) =>
        root.OptionalLong(name) ?? throw StripeErrors.Missing(name);

    /// <summary>A hash's entries, or null when the hash is absent or sent empty.</summary>
    public static Dictionary<string, string>? OptionalHash(this FormNode root, string name)
    {
        var node = root.Get(name);
        if (node is null || !node.IsMap || node.Children!.Count == 0)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, child) in node.Children)
        {
            result[key] = child.Value ?? string.Empty;
        }

        return result;
    }

    public static string? HashString(this Dictionary<string, string> hash, string key) =>
        hash.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

    public static string MaxLength(this string value, string param, int max) =>
        value.Length <= max ? value : throw StripeErrors.TooLong(param, value, max);

    public static string OneOf(this string value, string param, params string[] allowed) =>
        allowed.Contains(value, StringComparer.Ordinal) ? value : throw StripeErrors.InvalidEnum(param, value, allowed);
}
