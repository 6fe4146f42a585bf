namespace Gravity.Usage.Stripe;

/// <summary>Recognises values that look like Stripe secrets, so that no message or description ever quotes one.</summary>
internal static class StripeSecrets
{
    private static readonly string[] s_secretPrefixes = ["sk_", "rk_", "whsec_", "ek_"];

    /// <summary>Whether a value holds something that looks like a Stripe secret anywhere in it (a key pasted into the wrong setting).</summary>
    public static bool LooksSecret(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        foreach (var prefix in s_secretPrefixes)
        {
            if (value.Contains(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Quotes a setting for a message, unless it is missing, long, or looks like a secret.</summary>
    public static string Describe(string? value) => value switch
    {
        null => "(missing)",
        { Length: > 64 } => "(longer than 64 characters, not shown)",
        _ when LooksSecret(value) => "(a value that looks like a key, not shown)",
        _ => "'" + value + "'",
    };

    /// <summary>Removes <paramref name="secret"/> from text that came from the other side, in case a stand-in or proxy echoes it.</summary>
    public static string? Redact(string? text, string? secret) =>
        text is null || string.IsNullOrEmpty(secret) || !text.Contains(secret, StringComparison.Ordinal)
            ? text
            : text.Replace(secret, "[redacted key]", StringComparison.Ordinal);
}
