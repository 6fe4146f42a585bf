using System.Security.Cryptography;
using System.Text;
using Gravity.Usage.Internal;

namespace Gravity.Usage.Tests;

/// <summary>
/// The stored form of an idempotency key (schema version 8): fixed forever, because ledgers hold keys hashed by
/// earlier versions; length-prefixed, so that texts differing only in where one ends and the next begins never meet.
/// </summary>
public sealed class IdempotencyKeyHashTests
{
    [Test]
    public void Compute_KnownInput_GivesTheDocumentedBytes()
    {
        // SHA-256 of 00000004 'acct' 00000005 'usage' 00000005 'req-1', first 16 bytes (checked with Python's hashlib).
        Assert.That(Convert.ToHexString(IdempotencyKeyHash.Compute("acct", "usage", "req-1")), Is.EqualTo("562D855DD3CD1D0CAC59AC4FCBF18D0B"));
    }

    [Test]
    public void Compute_NonAsciiText_HashesItsUtf8Bytes()
    {
        Assert.That(Convert.ToHexString(IdempotencyKeyHash.Compute("café", "usage", "clé-€")), Is.EqualTo("607E063012DCA0407C3A936C72E05CF9"));
    }

    [TestCase("ab", "c", "k", "a", "bc", "k")]
    [TestCase("a", "bc", "k", "a", "b", "ck")]
    [TestCase("a", "", "bc", "a", "b", "c")]
    [TestCase("acct", "usage", "req-1", "acct", "usage", "req-1 ")]
    public void Compute_TextsThatDifferOnlyInTheirSeparation_GiveDifferentHashes(string account1, string meter1, string key1, string account2, string meter2, string key2)
    {
        Assert.That(IdempotencyKeyHash.Compute(account1, meter1, key1), Is.Not.EqualTo(IdempotencyKeyHash.Compute(account2, meter2, key2)));
    }

    [Test]
    public void Compute_LongTexts_HashesTheWholeEncoding()
    {
        // Longer than the stack buffer: the heap path must hash the same encoding.
        var key = new string('k', 255);
        var account = new string('€', 255);
        var expected = SHA256.HashData([.. Prefixed(account), .. Prefixed("usage"), .. Prefixed(key)])[..16];

        Assert.That(IdempotencyKeyHash.Compute(account, "usage", key), Is.EqualTo(expected));
    }

    [Test]
    public void ToUuid_Hash_TextFormIsTheBytesInOrder()
    {
        var hash = IdempotencyKeyHash.Compute("acct", "usage", "req-1");

        Assert.That(IdempotencyKeyHash.ToUuid(hash).ToString("N"), Is.EqualTo("562d855dd3cd1d0cac59ac4fcbf18d0b"));
    }

    [TestCase("2025-03-10T10:00:00.0000000Z", 1741600800)]
    [TestCase("2025-03-10T10:00:00.0000001Z", 1741600801)]
    [TestCase("2025-03-10T10:00:00.9990000Z", 1741600801)]
    public void RecordedSecond_Instant_IsRoundedUpToTheSecond(string instant, long expected)
    {
        Assert.That(IdempotencyKeyExpiry.RecordedSecond(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(expected));
    }

    private static byte[] Prefixed(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }
}
