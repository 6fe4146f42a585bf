using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gravity.Usage.AspNetCore.Tests.Support;

/// <summary>Signs a payload as Stripe does: <c>t=…,v1=hex(HMAC-SHA256(secret, "{t}.{payload}"))</c>.</summary>
public static class StripeSignature
{
    public static string Sign(string payload, string secret, long timestamp)
    {
        var signed = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + payload);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return FormattableString.Invariant($"t={timestamp},v1={Convert.ToHexStringLower(mac)}");
    }
}
