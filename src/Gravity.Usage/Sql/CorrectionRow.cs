using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>A correction as stored (instants as Unix seconds or milliseconds, parts as magnitudes), with how it was applied so far.</summary>
internal sealed class CorrectionRow
{
    public long Id { get; set; }

    public string Account { get; set; } = string.Empty;

    public string Meter { get; set; } = string.Empty;

    public long BucketStart { get; set; }

    public long Delta { get; set; }

    public string Reason { get; set; } = string.Empty;

    public string IdempotencyKey { get; set; } = string.Empty;

    public long CreatedAt { get; set; }

    public long FromUnreported { get; set; }

    public long FromUnsent { get; set; }

    public long CancelledAndResent { get; set; }

    public long NeedsCredit { get; set; }

    public long AwaitingCancellation { get; set; }

    /// <summary>The public record: the parts taken back carry the delta's sign, so that they add up to it.</summary>
    public UsageCorrection ToCorrection(bool isRepeat = false) => new()
    {
        Id = Id,
        Account = Account,
        Meter = Meter,
        BucketStart = UnixTime.FromSeconds(BucketStart),
        Delta = Delta,
        Reason = Reason,
        IdempotencyKey = IdempotencyKey,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        FromUnreported = FromUnreported,
        FromUnsentReports = -FromUnsent,
        CancelledAndResent = -CancelledAndResent,
        NeedsCredit = -NeedsCredit,
        AwaitingCancellation = -AwaitingCancellation,
        IsRepeat = isRepeat,
    };
}
