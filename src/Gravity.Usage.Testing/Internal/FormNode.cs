using System.Net;
using System.Text;

namespace Gravity.Usage.Testing.Internal;

/// <summary>
/// A decoded v1 parameter tree: <c>a=1&amp;b[c]=2&amp;d[0]=x&amp;d[]=y</c> becomes a map with a scalar <c>a</c>, a map
/// <c>b</c> and a map <c>d</c> with keys <c>0</c> and <c>1</c>. Keys and values are percent-decoded (<c>+</c> is a
/// space), so brackets may arrive raw or as <c>%5B</c>/<c>%5D</c>.
/// </summary>
internal sealed class FormNode
{
    private FormNode(string? value, Dictionary<string, FormNode>? children)
    {
        Value = value;
        Children = children;
    }

    /// <summary>The value of a scalar; null for a map.</summary>
    public string? Value { get; private set; }

    /// <summary>The children of a map, in first-seen order; null for a scalar.</summary>
    public Dictionary<string, FormNode>? Children { get; }

    public bool IsMap => Children is not null;

    public static FormNode EmptyMap() => new(null, new Dictionary<string, FormNode>(StringComparer.Ordinal));

    /// <summary>Parses <c>application/x-www-form-urlencoded</c> text (a body or a query string without '?').</summary>
    /// <exception cref="StripeErrorException">A malformed key (unbalanced brackets) or a key used both as a value and a hash.</exception>
    public static FormNode Parse(string text)
    {
        var root = EmptyMap();
        foreach (var pair in text.Split('&'))
        {
            if (pair.Length == 0)
            {
                continue;
            }

            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var rawKey = equals < 0 ? pair : pair[..equals];
            var rawValue = equals < 0 ? string.Empty : pair[(equals + 1)..];
            var key = WebUtility.UrlDecode(rawKey);
            var value = WebUtility.UrlDecode(rawValue);
            if (key.Length == 0)
            {
                continue;
            }

            Insert(root, key, SplitKey(key), value);
        }

        return root;
    }

    public FormNode? Get(string name) => Children is not null && Children.TryGetValue(name, out var child) ? child : null;

    /// <summary>A canonical flat form of the tree (sorted <c>key=value</c> lines), to compare the parameters of two requests.</summary>
    public string Fingerprint()
    {
        var lines = new List<string>();
        Flatten(this, string.Empty, lines);
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    /// <summary>The flat <c>name[key]</c> form of a child path, for error messages.</summary>
    public static string PathOf(string name, string key) => $"{name}[{key}]";

    private static void Flatten(FormNode node, string prefix, List<string> lines)
    {
        if (node.Children is null)
        {
            lines.Add(prefix + "=" + node.Value);
            return;
        }

        foreach (var (key, child) in node.Children)
        {
            Flatten(child, prefix.Length == 0 ? key : $"{prefix}[{key}]", lines);
        }
    }

    private static List<string> SplitKey(string key)
    {
        var open = key.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            if (key.Contains(']', StringComparison.Ordinal))
            {
                throw Malformed(key);
            }

            return [key];
        }

        if (open == 0)
        {
            throw Malformed(key);
        }

        var segments = new List<string> { key[..open] };
        var position = open;
        while (position < key.Length)
        {
            if (key[position] != '[')
            {
                throw Malformed(key);
            }

            var close = key.IndexOf(']', position + 1);
            if (close < 0)
            {
                throw Malformed(key);
            }

            var segment = key[(position + 1)..close];
            if (segment.Contains('[', StringComparison.Ordinal))
            {
                throw Malformed(key);
            }

            segments.Add(segment);
            position = close + 1;
        }

        return segments;
    }

    private static void Insert(FormNode root, string key, List<string> segments, string value)
    {
        var node = root;
        for (var i = 0; i < segments.Count; i++)
        {
            var children = node.Children!;
            var segment = segments[i];
            if (segment.Length == 0)
            {
                if (i == 0)
                {
                    throw Malformed(key);
                }

                // "name[]" appends to an array.
                segment = children.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var last = i == segments.Count - 1;
            if (children.TryGetValue(segment, out var existing))
            {
                if (last)
                {
                    if (existing.IsMap)
                    {
                        throw Conflict(key);
                    }

                    existing.Value = value; // the last occurrence wins
                    return;
                }

                if (!existing.IsMap)
                {
                    throw Conflict(key);
                }

                node = existing;
                continue;
            }

            if (last)
            {
                children[segment] = new FormNode(value, null);
                return;
            }

            var map = EmptyMap();
            children[segment] = map;
            node = map;
        }
    }

    private static StripeErrorException Malformed(string key) =>
        StripeErrors.Invalid(key, $"Invalid parameter name: '{key}'. Nested parameters use brackets, e.g. payload[stripe_customer_id] or expand[0].");

    private static StripeErrorException Conflict(string key) =>
        StripeErrors.Invalid(key, $"Invalid parameters: '{key}' is used both as a value and as a hash or array.");

    public override string ToString()
    {
        if (Children is null)
        {
            return Value ?? string.Empty;
        }

        var builder = new StringBuilder("{");
        foreach (var (key, child) in Children)
        {
            builder.Append(builder.Length > 1 ? ", " : string.Empty).Append(key).Append(": ").Append(child);
        }

        return builder.Append('}').ToString();
    }
}
