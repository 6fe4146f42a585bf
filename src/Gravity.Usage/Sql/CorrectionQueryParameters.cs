using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>The parameters of the correction statements, alike in both stores.</summary>
internal static class CorrectionQueryParameters
{
    /// <summary>The parameters of <see cref="CorrectionSql.ListCorrections"/>.</summary>
    public static object For(UsageCorrectionQuery query) => new
    {
        query.Account,
        query.Meter,
        From = query.PeriodStart is { } start ? UnixTime.CeilingSeconds(start) : (long?)null,
        To = query.PeriodEnd is { } end ? UnixTime.CeilingSeconds(end) : (long?)null,
        query.AfterId,
        query.Limit,
    };

    /// <summary>The parameters of <see cref="CorrectionSql.ClaimCancellations"/>.</summary>
    public static object For(ReportClaim claim) => new
    {
        claim.Owner,
        Now = claim.Now.ToUnixTimeMilliseconds(),
        LeaseExpiresAt = claim.LeaseExpiresAt.ToUnixTimeMilliseconds(),
        claim.Account,
        claim.Limit,
    };

    /// <summary>The parameters of <see cref="CorrectionSql.CompleteCorrectionReport"/>.</summary>
    public static object For(ReportCompletion completion) => new
    {
        completion.Id,
        completion.Owner,
        Status = ReportStatusText.Format(completion.Status),
        completion.Error,
        completion.RequestId,
        NextAttemptAt = completion.NextAttemptAt?.ToUnixTimeMilliseconds(),
    };
}
