namespace Gravity.Usage.Sql;

/// <summary>
/// The SQL texts of corrections, alike in both stores but for row locks and the types of nullable parameters, which
/// each store's dialect supplies. Every value is a parameter.
/// </summary>
internal sealed class CorrectionSql
{
    /// <summary>Correction columns under the names of <see cref="CorrectionRow"/>, with how each was applied so far.</summary>
    private const string CorrectionColumns = """
        c.id AS Id, c.account AS Account, c.meter AS Meter, c.bucket_start AS BucketStart, c.delta AS Delta,
        c.reason AS Reason, c.idempotency_key AS IdempotencyKey, c.created_at AS CreatedAt,
        c.from_unreported AS FromUnreported, c.from_unsent AS FromUnsent
        """;

    /// <summary>Initializes a new instance of the <see cref="CorrectionSql"/> class.</summary>
    /// <param name="tablePrefix">SQLite's table prefix, or PostgreSQL's schema and a dot.</param>
    /// <param name="lockRows">What ends a query that locks the rows it reads until the transaction ends (empty on SQLite, whose writer is alone).</param>
    /// <param name="claimLock">What ends the sub-query of a claim, so that concurrent reporters take different rows.</param>
    /// <param name="nullable">Writes a nullable parameter with its type, where the dialect needs it: (name, SQL type) to text.</param>
    public CorrectionSql(string tablePrefix, string lockRows, string claimLock, Func<string, string, string> nullable)
    {
        var counter = tablePrefix + "usage_counter";
        var report = tablePrefix + "usage_report";
        var correction = tablePrefix + "usage_correction";
        var link = tablePrefix + "usage_report_correction";

        // A report's replacement keeps the customer and item the report was closed with: they are read along.
        var reportColumns = ReportRow.ColumnsWithMapping(report, tablePrefix + "usage_report_mapping");

        CounterForCorrection = $"""
            SELECT quantity AS Quantity, reported_quantity AS ReportedQuantity FROM {counter}
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter {lockRows}
            """;
        InsertEmptyCounter = $"""
            INSERT INTO {counter} (account, bucket_start, meter, quantity) VALUES (@Account, @BucketStart, @Meter, 0)
            ON CONFLICT (account, bucket_start, meter) DO NOTHING
            """;
        SetCounter = $"""
            UPDATE {counter} SET quantity = @Quantity, reported_quantity = @ReportedQuantity
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter
            """;
        ReportsOfCounter = $"""
            SELECT {reportColumns} FROM {report}
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter AND status <> 'cancelled'
            ORDER BY id {lockRows}
            """;
        TakenFromReports = $"""
            SELECT l.replaces_id AS TargetId, r.quantity AS Quantity FROM {link} l JOIN {report} r ON r.id = l.report_id
            WHERE r.account = @Account AND r.bucket_start = @BucketStart AND r.meter = @Meter
              AND r.status IN ('cancelling', 'needs_credit')
            """;
        InsertCorrection = $"""
            INSERT INTO {correction} (account, meter, bucket_start, delta, reason, idempotency_key, created_at, from_unreported, from_unsent)
            VALUES (@Account, @Meter, @BucketStart, @Delta, @Reason, @IdempotencyKey, @Now, @FromUnreported, @FromUnsent)
            RETURNING id
            """;
        var applied = $"""
            COALESCE((SELECT SUM(r.quantity) FROM {link} l JOIN {report} r ON r.id = l.report_id
                      WHERE l.correction_id = c.id AND r.status = 'cancelled'), 0) AS CancelledAndResent,
            COALESCE((SELECT SUM(r.quantity) FROM {link} l JOIN {report} r ON r.id = l.report_id
                      WHERE l.correction_id = c.id AND r.status = 'needs_credit'), 0) AS NeedsCredit,
            COALESCE((SELECT SUM(r.quantity) FROM {link} l JOIN {report} r ON r.id = l.report_id
                      WHERE l.correction_id = c.id AND r.status = 'cancelling'), 0) AS AwaitingCancellation
            """;
        CorrectionById = $"SELECT {CorrectionColumns}, {applied} FROM {correction} c WHERE c.id = @Id";
        CorrectionByKey = $"SELECT {CorrectionColumns}, {applied} FROM {correction} c WHERE c.account = @Account AND c.idempotency_key = @IdempotencyKey";
        ListCorrections = $"""
            SELECT {CorrectionColumns}, {applied} FROM {correction} c
            WHERE c.id > @AfterId
              AND ({nullable("Account", "text")} IS NULL OR c.account = @Account)
              AND ({nullable("Meter", "text")} IS NULL OR c.meter = @Meter)
              AND ({nullable("From", "bigint")} IS NULL OR c.bucket_start >= @From)
              AND ({nullable("To", "bigint")} IS NULL OR c.bucket_start < @To)
            ORDER BY c.id LIMIT @Limit
            """;
        CancelReport = $"""
            UPDATE {report} SET status = 'cancelled', last_error = @Reason, last_request_id = COALESCE({nullable("RequestId", "text")}, last_request_id),
                lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id
            """;
        InsertLink = $"INSERT INTO {link} (report_id, replaces_id, correction_id) VALUES (@ReportId, @ReplacesId, @CorrectionId)";

        // Only corrections of reports already sent are claimed: one still pending (perhaps in flight right now) is
        // delivered first, and cancelled by a later run.
        ClaimCancellations = $"""
            UPDATE {report} SET lease_owner = @Owner, lease_expires_at = @LeaseExpiresAt, attempts = attempts + 1,
                first_attempt_at = COALESCE(first_attempt_at, @Now)
            WHERE id IN (
                SELECT a.id FROM {report} a
                JOIN {link} l ON l.report_id = a.id
                JOIN {report} t ON t.id = l.replaces_id
                WHERE a.status = 'cancelling' AND a.next_attempt_at <= @Now
                  AND (a.lease_expires_at IS NULL OR a.lease_expires_at <= @Now)
                  AND t.status = 'sent'
                  AND ({nullable("Account", "text")} IS NULL OR a.account = @Account)
                ORDER BY a.id LIMIT @Limit {claimLock})
            RETURNING {ReportRow.Columns}
            """;
        TargetOf = $"SELECT {reportColumns} FROM {report} WHERE id = (SELECT replaces_id FROM {link} WHERE report_id = @Id)";
        ReportForUpdate = $"SELECT {reportColumns} FROM {report} WHERE id = @Id {lockRows}";
        ReportById = $"SELECT {reportColumns} FROM {report} WHERE id = @Id";

        // Reconciliation: the reports of a period, and status changes guarded by the status they were judged in.
        ReportsInPeriod = $"""
            SELECT {reportColumns} FROM {report}
            WHERE bucket_start >= @From AND bucket_start < @To AND ({nullable("Account", "text")} IS NULL OR account = @Account)
            ORDER BY id
            """;
        MarkUnknownSent = $"""
            UPDATE {report} SET status = 'sent', sent_at = @Now, last_error = @Note, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id AND status = 'unknown'
            """;
        ReportsByIdentifier = $"""
            SELECT {reportColumns} FROM {report}
            WHERE identifier = @Identifier AND ({nullable("Account", "text")} IS NULL OR account = @Account)
            """;
        MarkRejected = $"""
            UPDATE {report} SET status = 'failed', last_error = @Reason, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id AND status = @Status AND redrive_count = @RedriveCount
            """;
        WaitingOn = $"""
            SELECT r.id AS Id, r.quantity AS Quantity FROM {report} r JOIN {link} l ON l.report_id = r.id
            WHERE l.replaces_id = @TargetId AND r.status = 'cancelling'
            ORDER BY r.id
            """;
        CompleteCorrectionReport = $"""
            UPDATE {report} SET status = @Status,
                last_error = COALESCE({nullable("Error", "text")}, last_error),
                last_request_id = COALESCE({nullable("RequestId", "text")}, last_request_id),
                next_attempt_at = COALESCE({nullable("NextAttemptAt", "bigint")}, next_attempt_at),
                lease_owner = NULL, lease_expires_at = NULL
            WHERE id = @Id AND status = 'cancelling' AND lease_owner = @Owner
            """;
    }

    /// <summary>Gets the counter of a correction, locked where the store locks rows.</summary>
    public string CounterForCorrection { get; }

    /// <summary>Gets the statement that creates an empty counter for a positive correction, if there is none.</summary>
    public string InsertEmptyCounter { get; }

    /// <summary>Gets the statement that sets a counter's quantity and reported quantity.</summary>
    public string SetCounter { get; }

    /// <summary>Gets the counter's reports that are not cancelled, oldest first, locked where the store locks rows.</summary>
    public string ReportsOfCounter { get; }

    /// <summary>Gets what corrections already took off each report of a counter (cancelling and needs-credit reports by the report they take from).</summary>
    public string TakenFromReports { get; }

    /// <summary>Gets the statement that records a correction and returns its id.</summary>
    public string InsertCorrection { get; }

    /// <summary>Gets the query of one correction by id.</summary>
    public string CorrectionById { get; }

    /// <summary>Gets the query of an account's correction by idempotency key.</summary>
    public string CorrectionByKey { get; }

    /// <summary>Gets the query that lists corrections by a <see cref="UsageCorrectionQuery"/>.</summary>
    public string ListCorrections { get; }

    /// <summary>Gets the statement that cancels a report.</summary>
    public string CancelReport { get; }

    /// <summary>Gets the statement that links a report to the report it replaces or takes from, and to its correction.</summary>
    public string InsertLink { get; }

    /// <summary>Gets the statement that claims due cancelling reports whose report to cancel was sent.</summary>
    public string ClaimCancellations { get; }

    /// <summary>Gets the query of the report a cancelling report takes from.</summary>
    public string TargetOf { get; }

    /// <summary>Gets the query of one report, locked where the store locks rows.</summary>
    public string ReportForUpdate { get; }

    /// <summary>Gets the cancelling reports waiting on one report.</summary>
    public string WaitingOn { get; }

    /// <summary>Gets the statement that records the outcome of a claimed cancelling report.</summary>
    public string CompleteCorrectionReport { get; }

    /// <summary>Gets one report by id, with its mapping.</summary>
    public string ReportById { get; }

    /// <summary>Gets the reports whose bucket starts in [@From, @To), of one account (@Account) or all.</summary>
    public string ReportsInPeriod { get; }

    /// <summary>Gets the statement that marks a report sent while it is still unknown.</summary>
    public string MarkUnknownSent { get; }

    /// <summary>Gets the reports with an identifier, of one account or any.</summary>
    public string ReportsByIdentifier { get; }

    /// <summary>Gets the statement that marks a report failed while it is in the status (and re-drive) it was judged in.</summary>
    public string MarkRejected { get; }
}
