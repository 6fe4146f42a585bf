using System.Text;

namespace Gravity.Usage.Stripe;

/// <summary>
/// Encodes request parameters as <c>application/x-www-form-urlencoded</c> exactly as Stripe's Node SDK does, so that
/// bodies match its wire captures byte for byte.
/// </summary>
/// <remarks>
/// Pairs keep their order. Keys and values are UTF-8 percent-encoded like JavaScript's <c>encodeURIComponent</c>, but
/// <c>!*'()</c> are encoded too (RFC 3986: only letters, digits and <c>-._~</c> stay as they are), a space becomes
/// <c>%20</c> (not <c>+</c>), and square brackets stay raw, as in <c>payload[value]</c>: the Node SDK turns every
/// <c>%5B</c> and <c>%5D</c> of its output back into brackets, in keys and values alike, and Stripe reads both forms.
/// A <see langword="null"/> value is sent empty, which Stripe reads as "unset".
/// </remarks>
internal static class StripeFormEncoder
{
    private const string HexDigits = "0123456789ABCDEF";

    /// <summary>Encodes the pairs in order as <c>key=value&amp;key=value</c>.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var builder = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (builder.Length > 0)
            {
                builder.Append('&');
            }

            AppendComponent(builder, key);
            builder.Append('=');
            AppendComponent(builder, value ?? string.Empty);
        }

        return builder.ToString();
    }

    /// <summary>Percent-encodes one key or value.</summary>
    public static string EncodeComponent(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length);
        AppendComponent(builder, value);
        return builder.ToString();
    }

    private static void AppendComponent(StringBuilder builder, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<byte> bytes = stackalloc byte[8];
        var index = 0;
        while (index < text.Length)
        {
            var c = text[index];
            if (IsKeptRaw(c))
            {
                builder.Append(c);
                index++;
                continue;
            }

            // A surrogate pair is one code point (four UTF-8 bytes); a lone surrogate becomes U+FFFD.
            var length = char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
            var count = Encoding.UTF8.GetBytes(text.AsSpan(index, length), bytes);
            for (var i = 0; i < count; i++)
            {
                builder.Append('%').Append(HexDigits[bytes[i] >> 4]).Append(HexDigits[bytes[i] & 0xF]);
            }

            index += length;
        }
    }

    private static bool IsKeptRaw(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~' or '[' or ']';
}
