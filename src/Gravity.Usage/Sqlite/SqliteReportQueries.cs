using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>The SQL text of the SQLite outbox and account mapping, built once per table prefix; every value is a parameter.</summary>
internal sealed class SqliteReportQueries : LedgerSql
{
    public SqliteReportQueries(string prefix)
        : base(prefix)
    {
        var counter = prefix + "usage_counter";
        Gauges = new GaugeSql(prefix, postgreSql: false);
        var report = prefix + "usage_report";

        Unreported = $"""
            SELECT account AS Account, meter AS Meter, bucket_start AS BucketStart FROM {counter}
            WHERE quantity > reported_quantity AND bucket_start < @Before AND (@Account IS NULL OR account = @Account)
            ORDER BY bucket_start LIMIT @Limit
            """;
        CounterForClose = $"""
            SELECT quantity AS Quantity, reported_quantity AS ReportedQuantity FROM {counter}
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter
            """;
        UnreportedOfAccount = $"""
            SELECT account AS Account, meter AS Meter, bucket_start AS BucketStart FROM {counter}
            WHERE account = @Account AND quantity > reported_quantity
            """;
        ClaimDue = $"""
            UPDATE {report} SET lease_owner = @Owner, lease_expires_at = @LeaseExpiresAt, attempts = attempts + 1,
                first_attempt_at = COALESCE(first_attempt_at, @Now)
            WHERE id IN (
                SELECT id FROM {report}
                WHERE status = 'pending' AND next_attempt_at <= @Now
                  AND (lease_expires_at IS NULL OR lease_expires_at <= @Now)
                  AND (@Account IS NULL OR account = @Account)
                ORDER BY next_attempt_at, id LIMIT @Limit)
            RETURNING {ReportColumns}
            """;
        Complete = $"""
            UPDATE {report} SET status = @Status,
                attempts = attempts - @NotAttempted,
                redrive_count = redrive_count + @RotateKey,
                first_attempt_at = CASE WHEN @NotAttempted = 1 AND attempts = 1 THEN NULL ELSE first_attempt_at END,
                last_error = COALESCE(@Error, CASE WHEN @Status = 'sent' THEN NULL ELSE last_error END),
                last_request_id = COALESCE(@RequestId, last_request_id),
                next_attempt_at = COALESCE(@NextAttemptAt, next_attempt_at),
                sent_at = CASE WHEN @Status = 'sent' THEN @Now ELSE sent_at END,
                lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id AND status = 'pending' AND lease_owner = @Owner
            """;
        List = $"""
            SELECT {ReportColumns} FROM {report}
            WHERE id > @AfterId AND (@Status IS NULL OR status = @Status) AND (@Account IS NULL OR account = @Account)
              AND (@Id IS NULL OR id = @Id)
            ORDER BY id LIMIT @Limit
            """;
        ForgetMappingOfRedriven = $"""
            DELETE FROM {prefix}usage_report_mapping WHERE report_id IN (
                SELECT id FROM {report}
                WHERE status IN ('failed', 'unknown') AND id > @AfterId AND (@Status IS NULL OR status = @Status)
                  AND (@Account IS NULL OR account = @Account) AND (@Id IS NULL OR id = @Id))
            """;
        Redrive = $"""
            UPDATE {report} SET status = 'pending', next_attempt_at = @Now, attempts = 0, first_attempt_at = NULL,
                redrive_count = redrive_count + 1,
                lease_owner = NULL, lease_expires_at = NULL
            WHERE status IN ('failed', 'unknown') AND id > @AfterId AND (@Status IS NULL OR status = @Status)
              AND (@Account IS NULL OR account = @Account) AND (@Id IS NULL OR id = @Id)
            """;
    }

    public string Unreported { get; }

    public override GaugeSql Gauges { get; }

    public override string CounterForClose { get; }

    public override string UnreportedOfAccount { get; }

    public string ClaimDue { get; }

    public string Complete { get; }

    public override string List { get; }

    public override string Redrive { get; }

    public override string ForgetMappingOfRedriven { get; }
}
