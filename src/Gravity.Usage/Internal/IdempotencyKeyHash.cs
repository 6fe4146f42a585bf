using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Gravity.Usage;

/// <summary>
/// The 16 bytes under which the built-in stores keep an idempotency key (schema version 8 on): the first 128 bits of
/// SHA-256 over the account, the meter and the key, each as a 4-byte big-endian length followed by its UTF-8 bytes.
/// A store of another database may keep keys the same way: a fixed-size primary key instead of three texts.
/// </summary>
/// <remarks>
/// <para>
/// The length prefixes make the encoding injective: ("ab", "c") and ("a", "bc") hash different inputs. Texts are
/// well-formed UTF-16 (the rules refuse unpaired surrogates), so UTF-8 never substitutes a character either.
/// </para>
/// <para>
/// Two different keys share a hash only by a collision of truncated SHA-256. For n keys stored at once the chance
/// that any two collide is about n² / 2^129: 1.5 × 10^-19 for 10^10 keys (1,000 keys a second kept 48 hours are
/// 1.7 × 10^8). A collision would make the second key look like a retry of the first (a duplicate, or a conflict
/// when the content differs); nothing else.
/// </para>
/// </remarks>
public static class IdempotencyKeyHash
{
    /// <summary>The bytes of a hash.</summary>
    public const int Size = 16;

    /// <summary>The stored hash of the key <paramref name="key"/> of <paramref name="meter"/> for <paramref name="account"/>.</summary>
    /// <param name="account">The account.</param>
    /// <param name="meter">The meter.</param>
    /// <param name="key">The idempotency key.</param>
    /// <returns>A new array of <see cref="Size"/> bytes.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static byte[] Compute(string account, string meter, string key)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[Size];
        Compute(account, meter, key, hash);
        return hash.ToArray();
    }

    /// <summary>Writes the stored hash of the key into <paramref name="destination"/> (<see cref="Size"/> bytes), allocating nothing.</summary>
    /// <param name="account">The account.</param>
    /// <param name="meter">The meter.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="destination">Where the hash is written: at least <see cref="Size"/> bytes; the first <see cref="Size"/> are written.</param>
    /// <exception cref="ArgumentNullException">A text is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/> bytes.</exception>
    public static void Compute(string account, string meter, string key, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(key);
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A key hash is {Size} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        var utf8 = Encoding.UTF8;
        var length = 12 + utf8.GetByteCount(account) + utf8.GetByteCount(meter) + utf8.GetByteCount(key);
        var buffer = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var written = Append(buffer, account);
        written += Append(buffer[written..], meter);
        Append(buffer[written..], key);

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer, digest);
        digest[..Size].CopyTo(destination);
    }

    /// <summary>The hash as a <see cref="Guid"/> (how the PostgreSQL store keeps it, as a <c>uuid</c>): its text form is the hash in hexadecimal, byte by byte.</summary>
    /// <param name="hash">A hash of <see cref="Size"/> bytes.</param>
    /// <returns>The hash as a <see cref="Guid"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="hash"/> is not <see cref="Size"/> bytes.</exception>
    public static Guid ToUuid(byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        return hash.Length == Size
            ? new Guid(hash, bigEndian: true)
            : throw new ArgumentException($"A key hash is {Size} bytes; this one is {hash.Length}.", nameof(hash));
    }

    /// <summary>The stored hash of an increment's key.</summary>
    /// <param name="increment">An increment that has an <see cref="UsageIncrement.IdempotencyKey"/>.</param>
    /// <returns>A new array of <see cref="Size"/> bytes.</returns>
    /// <exception cref="ArgumentException">The increment has no idempotency key.</exception>
    public static byte[] Of(UsageIncrement increment) =>
        increment.IdempotencyKey is { } key
            ? Compute(increment.Account, increment.Meter, key)
            : throw new ArgumentException("Only an increment with an idempotency key has a key hash; this one has none.", nameof(increment));

    private static int Append(Span<byte> buffer, string text)
    {
        var count = Encoding.UTF8.GetBytes(text, buffer[4..]);
        BinaryPrimitives.WriteInt32BigEndian(buffer, count);
        return 4 + count;
    }
}
