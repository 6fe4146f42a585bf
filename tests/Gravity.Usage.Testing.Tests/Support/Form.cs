namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>Encodes v1 form bodies the way stripe-node does: percent-encoding, brackets left raw.</summary>
public static class Form
{
    public static string Encode(params (string Key, string Value)[] pairs) =>
        string.Join("&", pairs.Select(p => Escape(p.Key) + "=" + Escape(p.Value)));

    private static string Escape(string text) =>
        Uri.EscapeDataString(text).Replace("%5B", "[", StringComparison.Ordinal).Replace("%5D", "]", StringComparison.Ordinal);
}
