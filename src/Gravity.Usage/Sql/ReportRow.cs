using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>A report as stored: instants as Unix seconds (buckets) or milliseconds, the status as text.</summary>
internal sealed class ReportRow
{
    /// <summary>Report columns under the names of this class, as both stores select them.</summary>
    public const string Columns = """
        id AS Id, identifier AS Identifier, account AS Account, meter AS Meter, bucket_start AS BucketStart,
        quantity AS Quantity, status AS Status, attempts AS Attempts, redrive_count AS RedriveCount, next_attempt_at AS NextAttemptAt,
        first_attempt_at AS FirstAttemptAt, last_error AS LastError, last_request_id AS LastRequestId,
        created_at AS CreatedAt, sent_at AS SentAt
        """;

    /// <summary>
    /// <see cref="Columns"/> and the Stripe customer and subscription item the report was closed with, from the
    /// report mapping table (absent for reports closed before schema version 6).
    /// </summary>
    /// <param name="reportTable">The full name of the report table, as it appears in the query's FROM clause.</param>
    /// <param name="mappingTable">The full name of the report mapping table.</param>
    /// <returns>The select list.</returns>
    public static string ColumnsWithMapping(string reportTable, string mappingTable) => $"""
        {Columns},
        (SELECT m.stripe_customer_id FROM {mappingTable} m WHERE m.report_id = {reportTable}.id) AS StripeCustomerId,
        (SELECT m.subscription_item_id FROM {mappingTable} m WHERE m.report_id = {reportTable}.id) AS SubscriptionItemId
        """;


    public long Id { get; set; }

    public string Identifier { get; set; } = string.Empty;

    public string Account { get; set; } = string.Empty;

    public string Meter { get; set; } = string.Empty;

    public long BucketStart { get; set; }

    public long Quantity { get; set; }

    public string Status { get; set; } = string.Empty;

    public long Attempts { get; set; }

    public long RedriveCount { get; set; }

    public long NextAttemptAt { get; set; }

    public long? FirstAttemptAt { get; set; }

    public string? LastError { get; set; }

    public string? LastRequestId { get; set; }

    public long CreatedAt { get; set; }

    public long? SentAt { get; set; }

    /// <summary>Gets or sets the Stripe customer the report was closed with (read with <see cref="LedgerSql.ReportColumns"/>).</summary>
    public string? StripeCustomerId { get; set; }

    /// <summary>Gets or sets the legacy subscription item the report was closed with.</summary>
    public string? SubscriptionItemId { get; set; }

    public UsageReport ToReport() => new()
    {
        Id = Id,
        Identifier = Identifier,
        Account = Account,
        Meter = Meter,
        BucketStart = UnixTime.FromSeconds(BucketStart),
        Quantity = Quantity,
        Status = ReportStatusText.Parse(Status),
        Attempts = checked((int)Attempts),
        RedriveCount = checked((int)RedriveCount),
        NextAttemptAt = DateTimeOffset.FromUnixTimeMilliseconds(NextAttemptAt),
        FirstAttemptAt = FirstAttemptAt is { } first ? DateTimeOffset.FromUnixTimeMilliseconds(first) : null,
        LastError = LastError,
        LastRequestId = LastRequestId,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        SentAt = SentAt is { } sent ? DateTimeOffset.FromUnixTimeMilliseconds(sent) : null,
        StripeCustomerId = StripeCustomerId,
        SubscriptionItemId = SubscriptionItemId,
    };
}
