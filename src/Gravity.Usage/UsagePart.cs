using System.Globalization;

namespace Gravity.Usage;

/// <summary>
/// One meter's share of a multi-meter call (<see cref="UsageMeter.RecordAsync"/>): which meter, what is done to it,
/// and how much. Made with <see cref="Increment"/>.
/// </summary>
/// <remarks>
/// A part is only a description; it is checked when the call is made (declared meter, quantity in range), so that a
/// bad part refuses the whole call and nothing of it is stored.
/// </remarks>
public sealed class UsagePart : IEquatable<UsagePart>
{
    private UsagePart(UsagePartKind kind, string meter, long quantity)
    {
        Kind = kind;
        Meter = meter;
        Quantity = quantity;
    }

    /// <summary>Gets what the part does to its meter.</summary>
    public UsagePartKind Kind { get; }

    /// <summary>Gets the meter the part applies to.</summary>
    public string Meter { get; }

    /// <summary>Gets how much is added (for <see cref="UsagePartKind.Increment"/>).</summary>
    public long Quantity { get; }

    /// <summary>Describes adding <paramref name="quantity"/> to <paramref name="meter"/>.</summary>
    /// <param name="meter">A declared meter; checked when the call is made.</param>
    /// <param name="quantity">How much was used: at least 1 and at most <see cref="UsageBillingOptions.MaxIncrementQuantity"/>; checked when the call is made.</param>
    /// <returns>The part.</returns>
    /// <exception cref="UsageInputException"><paramref name="meter"/> is <see langword="null"/>.</exception>
    public static UsagePart Increment(string meter, long quantity) =>
        meter is null
            ? throw new UsageInputException("A part needs a meter name, such as UsagePart.Increment(\"api_calls\", 1); it is null.", nameof(meter))
            : new UsagePart(UsagePartKind.Increment, meter, quantity);

    /// <inheritdoc />
    public bool Equals(UsagePart? other) =>
        other is not null && Kind == other.Kind && Quantity == other.Quantity && string.Equals(Meter, other.Meter, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as UsagePart);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode(Meter), Quantity);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Kind}({Meter}, {Quantity})");
}
