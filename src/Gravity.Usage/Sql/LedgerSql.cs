namespace Gravity.Usage.Sql;

/// <summary>
/// The SQL texts of the outbox and account mapping that the shared code runs. Texts both dialects write alike are built
/// here from the table names; each store's subclass builds the rest in its own dialect. Every value is a parameter.
/// </summary>
internal abstract class LedgerSql
{
    /// <summary>Initializes a new instance of the <see cref="LedgerSql"/> class.</summary>
    /// <param name="tablePrefix">What goes before each table name: SQLite's table prefix, or PostgreSQL's schema and a dot.</param>
    protected LedgerSql(string tablePrefix)
    {
        var counter = tablePrefix + "usage_counter";
        var report = tablePrefix + "usage_report";
        var account = tablePrefix + "usage_account";
        var item = tablePrefix + "usage_account_item";
        var cycle = tablePrefix + "usage_account_cycle";
        var mapping = tablePrefix + "usage_report_mapping";
        LedgerId = $"SELECT ledger_id FROM {tablePrefix}usage_ledger WHERE id = 1";
        CountCorrections = $"""
            SELECT COUNT(*) FROM {tablePrefix}usage_correction
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter
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
        GetPlan = $"""
            SELECT a.account AS Account, a.stripe_customer_id AS StripeCustomerId, a.billable AS Billable, a.billable_since AS BillableSince,
                {CycleColumns},
                (SELECT i.subscription_item_id FROM {item} i WHERE i.account = a.account AND i.meter = @Meter) AS SubscriptionItemId
            FROM {account} a LEFT JOIN {cycle} c ON c.account = a.account WHERE a.account = @Account
            """;
        GetAccount = $"""
            SELECT a.account AS Account, a.stripe_customer_id AS StripeCustomerId, a.billable AS Billable, a.billable_since AS BillableSince,
                {CycleColumns}
            FROM {account} a LEFT JOIN {cycle} c ON c.account = a.account WHERE a.account = @Account
            """;
        UpsertCycle = $"""
            INSERT INTO {cycle} (account, anchor, interval, interval_count) VALUES (@Account, @Anchor, @Interval, @IntervalCount)
            ON CONFLICT (account) DO UPDATE SET anchor = excluded.anchor, interval = excluded.interval, interval_count = excluded.interval_count
            """;
        DeleteCycle = $"DELETE FROM {cycle} WHERE account = @Account";
        InsertReportMapping = $"INSERT INTO {mapping} (report_id, stripe_customer_id, subscription_item_id) VALUES (@ReportId, @StripeCustomerId, @SubscriptionItemId)";
        ReportColumns = ReportRow.ColumnsWithMapping(report, mapping);
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

    /// <summary>Gets the texts of gauge meters.</summary>
    public abstract GaugeSql Gauges { get; }

    /// <summary>The billing cycle columns of an account query, from the cycle table joined as <c>c</c>.</summary>
    protected const string CycleColumns =
        "c.anchor AS BillingAnchor, c.interval AS BillingInterval, c.interval_count AS BillingIntervalCount";

    /// <summary>Gets the report columns with the mapping each report was closed with, for queries on the report table itself.</summary>
    public string ReportColumns { get; }

    /// <summary>Gets the statement that stores the mapping a report was closed with.</summary>
    public string InsertReportMapping { get; }

    /// <summary>Gets the statement that inserts or updates an account's billing cycle.</summary>
    public string UpsertCycle { get; }

    /// <summary>Gets the statement that deletes an account's billing cycle.</summary>
    public string DeleteCycle { get; }

    /// <summary>Gets the counter's quantity and reported quantity, read again while it is closed.</summary>
    public abstract string CounterForClose { get; }

    /// <summary>Gets the counters of one account with usage not yet reported.</summary>
    public abstract string UnreportedOfAccount { get; }

    /// <summary>Gets the query that lists reports by a <see cref="UsageReportQuery"/>.</summary>
    public abstract string List { get; }

    /// <summary>Gets the statement that sends failed and unknown reports again.</summary>
    public abstract string Redrive { get; }

    /// <summary>
    /// Gets the statement, run before <see cref="Redrive"/> with its parameters, that drops the mapping the re-driven
    /// reports were closed with: a re-drive follows fixing the mapping, so they go with the account's current one.
    /// </summary>
    public abstract string ForgetMappingOfRedriven { get; }

    /// <summary>Gets the query of the ledger's random id, from which report identifiers are derived.</summary>
    public string LedgerId { get; }

    /// <summary>Gets how many corrections a counter has had, which report identifiers are derived from.</summary>
    public string CountCorrections { get; }

    /// <summary>Gets the statement that advances a counter's reported quantity.</summary>
    public string MarkCounterReported { get; }

    /// <summary>Gets the statement that inserts a report and returns it as a <see cref="ReportRow"/>.</summary>
    public string InsertReport { get; }

    /// <summary>Gets the query of an account's plan, cycle and mapping for one meter (<c>@Meter</c>), as an <see cref="AccountRow"/>.</summary>
    public string GetPlan { get; }

    /// <summary>Gets the query of an account as an <see cref="AccountRow"/>.</summary>
    public string GetAccount { get; }

    /// <summary>Gets the query of an account's subscription items.</summary>
    public string GetAccountItems { get; }

    /// <summary>Gets the statement that inserts or updates an account.</summary>
    public string UpsertAccount { get; }

    /// <summary>Gets the statement that deletes an account's subscription items.</summary>
    public string DeleteAccountItems { get; }

    /// <summary>Gets the statement that inserts one subscription item of an account.</summary>
    public string InsertAccountItem { get; }
}
