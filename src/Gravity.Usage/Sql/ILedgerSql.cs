namespace Gravity.Usage.Sql;

/// <summary>
/// The SQL texts of the outbox and account mapping that the shared code runs, under the same names in both stores;
/// each store builds its own, in its own dialect.
/// </summary>
internal interface ILedgerSql
{
    /// <summary>Gets the counter's quantity and reported quantity, read again while it is closed.</summary>
    string CounterForClose { get; }

    /// <summary>Gets the counters of one account with usage not yet reported.</summary>
    string UnreportedOfAccount { get; }

    /// <summary>Gets the statement that advances a counter's reported quantity.</summary>
    string MarkCounterReported { get; }

    /// <summary>Gets the statement that inserts a report and returns it as a <see cref="ReportRow"/>.</summary>
    string InsertReport { get; }

    /// <summary>Gets the query that lists reports by a <see cref="UsageReportQuery"/>.</summary>
    string List { get; }

    /// <summary>Gets the statement that sends failed and unknown reports again.</summary>
    string Redrive { get; }

    /// <summary>Gets the query of an account's plan.</summary>
    string GetPlan { get; }

    /// <summary>Gets the query of an account as an <see cref="AccountRow"/>.</summary>
    string GetAccount { get; }

    /// <summary>Gets the query of an account's subscription items.</summary>
    string GetAccountItems { get; }

    /// <summary>Gets the statement that inserts or updates an account.</summary>
    string UpsertAccount { get; }

    /// <summary>Gets the statement that deletes an account's subscription items.</summary>
    string DeleteAccountItems { get; }

    /// <summary>Gets the statement that inserts one subscription item of an account.</summary>
    string InsertAccountItem { get; }
}
