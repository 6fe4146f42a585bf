namespace Gravity.Usage;

/// <summary>A correction the meter validated, handed to <see cref="IUsageCorrectionStore.CorrectAsync"/>.</summary>
public sealed record CorrectionRequest
{
    /// <summary>Gets the account whose usage is corrected.</summary>
    public required string Account { get; init; }

    /// <summary>Gets the meter.</summary>
    public required string Meter { get; init; }

    /// <summary>Gets the start of the bucket corrected, as the meter cut it (at the account's period boundary).</summary>
    public required DateTimeOffset BucketStart { get; init; }

    /// <summary>Gets the signed change, never zero: positive adds usage, negative takes it back.</summary>
    public required long Delta { get; init; }

    /// <summary>Gets why, as the caller said; kept with the correction.</summary>
    public required string Reason { get; init; }

    /// <summary>Gets the key the correction is made under, unique per account.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>Gets when the correction is made (the meter's clock); reports it creates are due then.</summary>
    public required DateTimeOffset Now { get; init; }
}
