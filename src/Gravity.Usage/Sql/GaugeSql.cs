namespace Gravity.Usage.Sql;

/// <summary>
/// The SQL texts of gauge meters (table <c>usage_gauge</c>) and of the reads that split usage by report status, in
/// either dialect. Every value is a parameter; PostgreSQL's texts cast what its types would otherwise make ambiguous.
/// </summary>
internal sealed class GaugeSql
{
    /// <summary>Initializes a new instance of the <see cref="GaugeSql"/> class.</summary>
    /// <param name="tablePrefix">SQLite's table prefix, or PostgreSQL's schema and a dot.</param>
    /// <param name="postgreSql">Whether the texts are for PostgreSQL (else SQLite).</param>
    public GaugeSql(string tablePrefix, bool postgreSql)
    {
        var gauge = tablePrefix + "usage_gauge";
        var report = tablePrefix + "usage_report";
        var text = postgreSql ? "::text" : string.Empty;
        var big = postgreSql ? "::bigint" : string.Empty;
        var reported = postgreSql ? "reported::int::bigint" : "reported";
        var yes = postgreSql ? "true" : "1";
        var no = postgreSql ? "false" : "0";
        var rowColumns = $"meter AS Meter, kind{big} AS Kind, bucket_start AS BucketStart, value AS Value, observed_at AS ObservedAt, {reported} AS Reported";

        // Readings of one batch in arrival order. The WHERE keeps a bucket's latest (Last, LastEver: a reading with the
        // same observed_at that arrives later wins) or its highest (Max).
        var keep = $"CASE WHEN excluded.kind = 2 THEN excluded.value > {gauge}.value ELSE excluded.observed_at >= {gauge}.observed_at END";
        UpsertReading = $"""
            INSERT INTO {gauge} (account, bucket_start, meter, kind, value, observed_at, reported)
            VALUES ($account, $bucket_start, $meter, $kind, $value, $observed_at, 0)
            ON CONFLICT (account, bucket_start, meter) DO UPDATE SET kind = excluded.kind, value = excluded.value,
                observed_at = excluded.observed_at, reported = 0
            WHERE {keep}
            """;
        UpsertReadings = $"""
            INSERT INTO {gauge} AS g (account, bucket_start, meter, kind, value, observed_at, reported)
            SELECT a, b, m, k, v, o, false FROM unnest(@accounts::text[], @bucket_starts::bigint[], @meters::text[], @kinds::smallint[], @values::bigint[], @observed_at::bigint[]) AS t(a, b, m, k, v, o)
            ON CONFLICT (account, bucket_start, meter) DO UPDATE SET kind = excluded.kind, value = excluded.value,
                observed_at = excluded.observed_at, reported = false
            WHERE CASE WHEN excluded.kind = 2 THEN excluded.value > g.value ELSE excluded.observed_at >= g.observed_at END
            """;

        PeriodRows = $"""
            SELECT {rowColumns} FROM {gauge}
            WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To AND (@Meter{text} IS NULL OR meter = @Meter)
            ORDER BY bucket_start
            """;

        // The latest LastEver reading of each meter before a period: what it carries into the period.
        CarriedBefore = $"""
            SELECT {rowColumns} FROM {gauge} g
            WHERE g.account = @Account AND g.kind = 3 AND g.bucket_start < @From AND (@Meter{text} IS NULL OR g.meter = @Meter)
              AND g.observed_at = (SELECT MAX(h.observed_at) FROM {gauge} h WHERE h.account = g.account AND h.meter = g.meter AND h.bucket_start < @From)
            """;

        // The totals read takes both in one statement: one prepare and one round trip fewer on every read.
        PeriodAndCarriedRows = $"""
            SELECT {rowColumns} FROM {gauge}
            WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To AND (@Meter{text} IS NULL OR meter = @Meter)
            UNION ALL
            {CarriedBefore}
            """;

        // Reports of the period's buckets by meter and status, summed in two parts as the totals are (UsageReads.SplitSums).
        ReportSplit = $"""
            SELECT meter AS Meter, status AS Status, SUM(quantity >> 20){big} AS High, SUM(quantity & 1048575){big} AS Low
            FROM {report}
            WHERE account = @Account AND bucket_start >= @From AND bucket_start < @To AND (@Meter{text} IS NULL OR meter = @Meter)
            GROUP BY meter, status
            """;
        LatestReport = $"""
            SELECT bucket_start AS Timestamp, quantity AS Quantity, status AS Status FROM {report}
            WHERE account = @Account AND meter = @Meter AND bucket_start >= @From AND bucket_start < @To
            ORDER BY bucket_start DESC, id DESC LIMIT 1
            """;
        CountReports = $"""
            SELECT COUNT(*){big} FROM {report}
            WHERE account = @Account AND meter = @Meter AND bucket_start >= @From AND bucket_start < @To
            """;

        Unreported = $"""
            SELECT account AS Account, meter AS Meter, bucket_start AS BucketStart FROM {gauge}
            WHERE reported = {no} AND bucket_start < @Before AND (@Account{text} IS NULL OR account = @Account)
            ORDER BY bucket_start LIMIT @Limit
            """;
        UnreportedOfAccount = $"""
            SELECT meter AS Meter, kind{big} AS Kind, bucket_start AS BucketStart FROM {gauge}
            WHERE account = @Account AND reported = {no}
            """;
        CarriedMeters = $"""
            SELECT p.account AS Account, p.meter AS Meter,
                (SELECT MAX(r.bucket_start) FROM {report} r WHERE r.account = p.account AND r.meter = p.meter) AS LastReportedAt
            FROM (SELECT DISTINCT account, meter FROM {gauge} WHERE kind = 3 AND (@Account{text} IS NULL OR account = @Account)) p
            """;

        // Closing: the readings of a billing period (by when they were read), and LastEver's latest before its end.
        ReadingsForClose = $"""
            SELECT {rowColumns} FROM {gauge}
            WHERE account = @Account AND meter = @Meter AND observed_at >= @FromMs AND observed_at < @ToMs
            ORDER BY bucket_start
            """;
        LatestReadingBefore = $"""
            SELECT {rowColumns} FROM {gauge}
            WHERE account = @Account AND meter = @Meter AND observed_at < @ToMs
            ORDER BY observed_at DESC LIMIT 1
            """;
        MarkReported = $"""
            UPDATE {gauge} SET reported = {yes}
            WHERE account = @Account AND bucket_start = @BucketStart AND meter = @Meter AND value = @Value AND observed_at = @ObservedAt AND reported = {no}
            """;

        // After a change of plan: the account's recent gauge rows are closed again, under the new plan.
        ReopenAccount = $"UPDATE {gauge} SET reported = {no} WHERE account = @Account AND reported = {yes} AND observed_at >= @SinceMs";

        // Concurrent closes of one account's gauge queue here (writers never take it); SQLite has one writer anyway.
        LockMeter = postgreSql ? "SELECT pg_advisory_xact_lock(hashtextextended(@Account::text || '|' || @Meter::text, 7317))" : null;
        InsertReport = $"""
            INSERT INTO {report} (identifier, account, meter, bucket_start, quantity, status, next_attempt_at, last_error, created_at)
            VALUES (@Identifier, @Account, @Meter, @BucketStart, @Quantity, @Status, @Now, @SkipReason, @Now)
            ON CONFLICT (identifier) DO NOTHING
            RETURNING {ReportRow.Columns}
            """;
    }

    /// <summary>Gets SQLite's statement that writes one reading ($account, $bucket_start, $meter, $kind, $value, $observed_at).</summary>
    public string UpsertReading { get; }

    /// <summary>Gets PostgreSQL's statement that writes a batch's readings, one per gauge bucket, from arrays.</summary>
    public string UpsertReadings { get; }

    /// <summary>Gets the gauge buckets of an account that start in a period, of one meter or of all.</summary>
    public string PeriodRows { get; }

    /// <summary>Gets the latest LastEver reading of each meter in buckets before a period.</summary>
    public string CarriedBefore { get; }

    /// <summary>Gets <see cref="PeriodRows"/> (unordered) and <see cref="CarriedBefore"/> in one statement.</summary>
    public string PeriodAndCarriedRows { get; }

    /// <summary>Gets the reports of a period's buckets summed by meter and status.</summary>
    public string ReportSplit { get; }

    /// <summary>Gets the latest report of one meter in a period.</summary>
    public string LatestReport { get; }

    /// <summary>Gets how many reports one meter has in a period.</summary>
    public string CountReports { get; }

    /// <summary>Gets gauge buckets with readings not yet reported.</summary>
    public string Unreported { get; }

    /// <summary>Gets one account's gauge buckets with readings not yet reported, with their kind.</summary>
    public string UnreportedOfAccount { get; }

    /// <summary>Gets every LastEver meter of every account (or one), with the timestamp of its latest report.</summary>
    public string CarriedMeters { get; }

    /// <summary>Gets one meter's gauge buckets whose reading lies in a period.</summary>
    public string ReadingsForClose { get; }

    /// <summary>Gets one meter's latest reading before an instant.</summary>
    public string LatestReadingBefore { get; }

    /// <summary>Gets the statement that marks a gauge bucket reported, if it still holds the reading that was read.</summary>
    public string MarkReported { get; }

    /// <summary>Gets the statement that marks an account's gauge rows read since an instant as unreported again.</summary>
    public string ReopenAccount { get; }

    /// <summary>Gets the statement that serializes closes of one account's meter, or <see langword="null"/> where writes are serial anyway.</summary>
    public string? LockMeter { get; }

    /// <summary>Gets the statement that inserts a gauge report unless its identifier exists, returning it as a <see cref="ReportRow"/>.</summary>
    public string InsertReport { get; }
}

/// <summary>A gauge bucket as stored.</summary>
internal sealed class GaugeRow
{
    public string Meter { get; set; } = string.Empty;

    public long Kind { get; set; }

    public long BucketStart { get; set; }

    public long Value { get; set; }

    public long ObservedAt { get; set; }

    public long Reported { get; set; }
}
