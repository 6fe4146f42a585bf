namespace Gravity.Usage;

/// <summary>
/// The connection to the ledger failed while a batch of increments was being committed, and whether the commit took
/// effect could not be found out in time: the increment may or may not have been recorded.
/// </summary>
/// <remarks>
/// Retrying with the same idempotency key is safe: if the first attempt was recorded, the retry returns
/// <see cref="IncrementOutcome.Duplicate"/>. Retrying an increment without a key may count it twice. A store throws this
/// only after it tried, for a bounded time, to learn the true outcome; when it learns it, callers get that outcome
/// (their status when the batch committed, the original error when it did not).
/// </remarks>
public sealed class UsageCommitOutcomeUnknownException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="UsageCommitOutcomeUnknownException"/> class.</summary>
    public UsageCommitOutcomeUnknownException()
        : base("The ledger connection failed during the commit and its outcome is unknown; the increment may or may not have been recorded.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageCommitOutcomeUnknownException"/> class with a message.</summary>
    /// <param name="message">What happened, and what is known of the commit.</param>
    public UsageCommitOutcomeUnknownException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UsageCommitOutcomeUnknownException"/> class with a message and a cause.</summary>
    /// <param name="message">What happened, and what is known of the commit.</param>
    /// <param name="innerException">The connection failure during the commit.</param>
    public UsageCommitOutcomeUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
