namespace Gravity.Usage.Testing.Contract;

/// <summary>A failed check inside a case; the case turns it into a <see cref="UsageStoreContractException"/> naming itself.</summary>
internal sealed class ContractCheckFailure(string check, string expected, string actual)
    : Exception($"{check}. Expected: {expected}. Actual: {actual}.")
{
    public string Check { get; } = check;

    public string Expected { get; } = expected;

    public string Actual { get; } = actual;
}
