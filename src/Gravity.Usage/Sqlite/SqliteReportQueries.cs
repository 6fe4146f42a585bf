using Gravity.Usage.Sql;

namespace Gravity.Usage.Sqlite;

/// <summary>The SQL text of the SQLite outbox and account mapping, built once per table prefix; every value is a parameter.</summary>
internal sealed class SqliteReportQueries : ILedgerSql
{
    public SqliteReportQueries(string prefix)
    {
        var counter = prefix + "usage_counter";
        var report = prefix + "usage_report";
        var account = prefix + "usage_account";
        var item = prefix + "usage_account_item";

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
        MarkCounterReported = $"""
            UPDATE {counter} SET reported_quantity = @Quantity
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter AND reported_quantity = @ReportedBefore
            """;
        InsertReport = $"""
            INSERT INTO {report} (identifier, account, meter, bucket_start, quantity, status, next_attempt_at, last_error, created_at)
            VALUES (@Identifier, @Account, @Meter, @BucketStart, @Quantity, @Status, @Now, @SkipReason, @Now)
            RETURNING {ReportRow.Columns}
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
            RETURNING {ReportRow.Columns}
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
            SELECT {ReportRow.Columns} FROM {report}
            WHERE id > @AfterId AND (@Status IS NULL OR status = @Status) AND (@Account IS NULL OR account = @Account)
              AND (@Id IS NULL OR id = @Id)
            ORDER BY id LIMIT @Limit
            """;
        Redrive = $"""
            UPDATE {report} SET status = 'pending', next_attempt_at = @Now, attempts = 0, first_attempt_at = NULL,
                redrive_count = redrive_count + 1,
                lease_owner = NULL, lease_expires_at = NULL
            WHERE status IN ('failed', 'unknown') AND id > @AfterId AND (@Status IS NULL OR status = @Status)
              AND (@Account IS NULL OR account = @Account) AND (@Id IS NULL OR id = @Id)
            """;
        GetPlan = $"SELECT billable AS Billable, billable_since AS BillableSince FROM {account} WHERE account = @Account";
        GetAccount = $"""
            SELECT account AS Account, stripe_customer_id AS StripeCustomerId, billable AS Billable, billable_since AS BillableSince
            FROM {account} WHERE account = @Account
            """;
        GetAccountItems = $"SELECT meter AS Meter, subscription_item_id AS SubscriptionItemId FROM {item} WHERE account = @Account";
        UpsertAccount = $"""
            INSERT INTO {account} (account, stripe_customer_id, billable, billable_since, updated_at)
            VALUES (@Account, @StripeCustomerId, @Billable, @BillableSince, @Now)
            ON CONFLICT (account) DO UPDATE SET stripe_customer_id = excluded.stripe_customer_id,
                billable = excluded.billable, billable_since = excluded.billable_since, updated_at = excluded.updated_at
            """;
        DeleteAccountItems = $"DELETE FROM {item} WHERE account = @Account";
        InsertAccountItem = $"INSERT INTO {item} (account, meter, subscription_item_id) VALUES (@Account, @Meter, @SubscriptionItemId)";
    }

    public string Unreported { get; }

    public string CounterForClose { get; }

    public string UnreportedOfAccount { get; }

    public string MarkCounterReported { get; }

    public string InsertReport { get; }

    public string ClaimDue { get; }

    public string Complete { get; }

    public string List { get; }

    public string Redrive { get; }

    public string GetPlan { get; }

    public string GetAccount { get; }

    public string GetAccountItems { get; }

    public string UpsertAccount { get; }

    public string DeleteAccountItems { get; }

    public string InsertAccountItem { get; }
}
