namespace Gravity.Usage.Sqlite;

/// <summary>
/// Remembers which files the store's ledger and write-ahead log are, and tells when the path names another file (or
/// none): then every batch written since went to a file that a restart will not open, and must not be acknowledged.
/// </summary>
/// <remarks>Used under the store's write lock only.</remarks>
internal sealed class LedgerFileGuard(string databasePath)
{
    private LedgerFileIdentity? _database;
    private LedgerFileIdentity? _log;

    /// <summary>Gets the full path of the ledger file.</summary>
    public string Path => databasePath;

    /// <summary>Checks the file the writer has just opened: the first one seen is the ledger for the store's lifetime.</summary>
    /// <returns>What changed, or <see langword="null"/>.</returns>
    public string? CheckOpened()
    {
        var current = LedgerFileIdentity.Of(databasePath);
        if (_database is null)
        {
            _database = current;
            return null;
        }

        return current == _database ? null : Describe(current is null ? "was deleted" : "was replaced by another file");
    }

    /// <summary>Forgets the write-ahead log: SQLite may delete it legitimately once the writer is closed.</summary>
    public void ForgetLog() => _log = null;

    /// <summary>Checks, after a commit and before it is acknowledged, that the files written are still the ones at the path.</summary>
    /// <returns>What changed, or <see langword="null"/>.</returns>
    public string? CheckCommitted()
    {
        if (_database is null)
        {
            // The platform cannot tell files apart.
            return null;
        }

        var database = LedgerFileIdentity.Of(databasePath);
        if (database != _database)
        {
            return Describe(database is null ? "was deleted" : "was replaced by another file");
        }

        // The write-ahead log holds the latest commits until a checkpoint: losing it loses them.
        var log = LedgerFileIdentity.Of(databasePath + "-wal");
        if (_log is null)
        {
            _log = log;
            return null;
        }

        return log == _log ? null : Describe(log is null ? "write-ahead log (-wal) was deleted" : "write-ahead log (-wal) was replaced by another file", ofLog: true);
    }

    private string Describe(string what, bool ofLog = false) =>
        (ofLog ? $"The ledger file '{databasePath}': its {what}" : $"The ledger file '{databasePath}' {what}")
        + " while the store had it open. Whatever was written since would be lost at the next restart, so the store accepts no further writes; "
        + "restore the file or restart the application.";
}
