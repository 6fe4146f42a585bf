namespace Gravity.Usage.Testing;

/// <summary>
/// A store broke the store contract: thrown by <see cref="UsageStoreContractCase.RunAsync"/> when one of the case's
/// checks fails. The message names the case, the check, the expected and the actual value.
/// </summary>
public sealed class UsageStoreContractException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public UsageStoreContractException()
        : base("The store broke the store contract.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the store did wrong.</param>
    public UsageStoreContractException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the store did wrong.</param>
    /// <param name="innerException">The failure behind it.</param>
    public UsageStoreContractException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal UsageStoreContractException(string caseName, string check, string expected, string actual, Exception innerException)
        : base($"Store contract case {caseName} failed: {check}. Expected: {expected}. Actual: {actual}.", innerException)
    {
        CaseName = caseName;
        Check = check;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The name of the case that failed (<see cref="UsageStoreContractCase.Name"/>), when a case threw it.</summary>
    public string? CaseName { get; }

    /// <summary>What the failing check looked at, in words.</summary>
    public string? Check { get; }

    /// <summary>The value the contract asks for, as text.</summary>
    public string? Expected { get; }

    /// <summary>The value the store gave, as text.</summary>
    public string? Actual { get; }
}
