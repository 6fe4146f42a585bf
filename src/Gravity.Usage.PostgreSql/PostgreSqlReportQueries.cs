using Gravity.Usage.Sql;

namespace Gravity.Usage.PostgreSql;

/// <summary>The SQL text of the PostgreSQL outbox and account mapping, built once per schema; every value is a parameter.</summary>
internal sealed class PostgreSqlReportQueries : LedgerSql
{
    public PostgreSqlReportQueries(string schema)
        : base(schema + ".")
    {
        var counter = schema + ".usage_counter";
        Gauges = new GaugeSql(schema + ".", postgreSql: true);
        var report = schema + ".usage_report";
        var account = schema + ".usage_account";

        Unreported = $"""
            SELECT account AS Account, meter AS Meter, bucket_start AS BucketStart FROM {counter}
            WHERE quantity > reported_quantity AND bucket_start < @Before AND (@Account::text IS NULL OR account = @Account)
            ORDER BY bucket_start LIMIT @Limit
            """;

        // Locked until the close commits: a second closer waits here, then sees the reported quantity advanced.
        CounterForClose = $"""
            SELECT quantity AS Quantity, reported_quantity AS ReportedQuantity FROM {counter}
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter
            FOR UPDATE
            """;
        UnreportedOfAccount = $"""
            SELECT account AS Account, meter AS Meter, bucket_start AS BucketStart FROM {counter}
            WHERE account = @Account AND quantity > reported_quantity
            ORDER BY bucket_start, meter COLLATE "C"
            """;

        // SKIP LOCKED: concurrent reporters each take different reports instead of queueing on the same rows; a row
        // another reporter claimed and committed meanwhile is re-checked against the lease condition and left out.
        ClaimDue = $"""
            UPDATE {report} SET lease_owner = @Owner, lease_expires_at = @LeaseExpiresAt, attempts = attempts + 1,
                first_attempt_at = COALESCE(first_attempt_at, @Now)
            WHERE id IN (
                SELECT id FROM {report}
                WHERE status = 'pending' AND next_attempt_at <= @Now
                  AND (lease_expires_at IS NULL OR lease_expires_at <= @Now)
                  AND (@Account::text IS NULL OR account = @Account)
                ORDER BY next_attempt_at, id LIMIT @Limit
                FOR UPDATE SKIP LOCKED)
            RETURNING {ReportColumns}
            """;
        Complete = $"""
            UPDATE {report} SET status = @Status,
                attempts = attempts - @NotAttempted,
                redrive_count = redrive_count + @RotateKey,
                first_attempt_at = CASE WHEN @NotAttempted = 1 AND attempts = 1 THEN NULL ELSE first_attempt_at END,
                last_error = COALESCE(@Error::text, CASE WHEN @Status = 'sent' THEN NULL ELSE last_error END),
                last_request_id = COALESCE(@RequestId::text, last_request_id),
                next_attempt_at = COALESCE(@NextAttemptAt::bigint, next_attempt_at),
                sent_at = CASE WHEN @Status = 'sent' THEN @Now ELSE sent_at END,
                lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id AND status = 'pending' AND lease_owner = @Owner
            """;
        List = $"""
            SELECT {ReportColumns} FROM {report}
            WHERE id > @AfterId AND (@Status::text IS NULL OR status = @Status) AND (@Account::text IS NULL OR account = @Account)
              AND (@Id::bigint IS NULL OR id = @Id)
            ORDER BY id LIMIT @Limit
            """;
        ForgetMappingOfRedriven = $"""
            DELETE FROM {schema}.usage_report_mapping WHERE report_id IN (
                SELECT id FROM {report}
                WHERE status IN ('failed', 'unknown') AND id > @AfterId AND (@Status::text IS NULL OR status = @Status)
                  AND (@Account::text IS NULL OR account = @Account) AND (@Id::bigint IS NULL OR id = @Id))
            """;
        Redrive = $"""
            UPDATE {report} SET status = 'pending', next_attempt_at = @Now, attempts = 0, first_attempt_at = NULL,
                redrive_count = redrive_count + 1,
                lease_owner = NULL, lease_expires_at = NULL
            WHERE status IN ('failed', 'unknown') AND id > @AfterId AND (@Status::text IS NULL OR status = @Status)
              AND (@Account::text IS NULL OR account = @Account) AND (@Id::bigint IS NULL OR id = @Id)
            """;

        // Locked while a plan changes, so that two changes of one account close its usage one after the other.
        GetAccountForUpdate = $"""
            SELECT a.account AS Account, a.stripe_customer_id AS StripeCustomerId, a.billable AS Billable, a.billable_since AS BillableSince,
                {CycleColumns}
            FROM {account} a LEFT JOIN {schema}.usage_account_cycle c ON c.account = a.account WHERE a.account = @Account FOR UPDATE OF a
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

    public string GetAccountForUpdate { get; }
}
