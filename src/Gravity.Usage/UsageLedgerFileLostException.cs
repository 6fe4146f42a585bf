namespace Gravity.Usage;

/// <summary>
/// The SQLite ledger file the store has open is no longer the file at its path: it was deleted or replaced while the
/// application ran. The store refuses every further write, because whatever it wrote would be gone after a restart.
/// </summary>
/// <remarks>
/// Increments that fault with this exception were not recorded in the ledger at the path; nothing acknowledged before
/// the change was noticed is affected unless the deleted file is lost. Restore the file (or accept the new one) and
/// restart the application; retrying then with the same idempotency key is safe.
/// </remarks>
public sealed class UsageLedgerFileLostException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="UsageLedgerFileLostException"/> class.</summary>
    public UsageLedgerFileLostException()
        : base("The ledger file the store has open is no longer the file at its path; no further increments are accepted.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageLedgerFileLostException"/> class with a message.</summary>
    /// <param name="message">Which file changed, and how.</param>
    public UsageLedgerFileLostException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageLedgerFileLostException"/> class with a message and a cause.</summary>
    /// <param name="message">Which file changed, and how.</param>
    /// <param name="innerException">The cause.</param>
    public UsageLedgerFileLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
