namespace Gravity.Usage.PostgreSql;

/// <summary>The SQL of the commit marks (schema version 9): see <see cref="PostgreSqlCommitOutcome"/>.</summary>
internal sealed class PostgreSqlCommitMarks
{
    public PostgreSqlCommitMarks(string schema)
    {
        var marks = schema + ".usage_commit_mark";

        // No ON CONFLICT: a batch whose mark was claimed first fails here, and can never commit.
        Insert = $"INSERT INTO {marks} (mark, claimed) VALUES (@mark, false)";
        Claim = $"INSERT INTO {marks} (mark, claimed) VALUES (@mark, true) ON CONFLICT (mark) DO NOTHING";
        ReadClaimed = $"SELECT claimed FROM {marks} WHERE mark = @mark";

        // By the server's clock, an hour after the mark: far past the longest CommitOutcomeTimeout (10 minutes).
        Sweep = $"""
            DELETE FROM {marks} WHERE mark IN (
                SELECT mark FROM {marks} WHERE created_at < now() - interval '1 hour' LIMIT @MaxMarks)
            """;
        OneRoundTripHolds = schema + ".usage_one_round_trip_holds";
    }

    /// <summary>PostgreSQL's error code, raised by <see cref="OneRoundTripHolds"/>, for a batch that needs more than one round trip.</summary>
    public const string NeedsMoreRoundTrips = "GU001";

    public string Insert { get; }

    public string Claim { get; }

    public string ReadClaimed { get; }

    public string Sweep { get; }

    /// <summary>Gets the function that fails the transaction when a batch sent in one round trip needs more.</summary>
    public string OneRoundTripHolds { get; }
}
