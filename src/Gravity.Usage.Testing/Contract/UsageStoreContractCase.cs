using Gravity.Usage.Testing.Contract;

namespace Gravity.Usage.Testing;

/// <summary>
/// One check of the store contract, run on a fresh ledger of the provider under test. Enumerate them from
/// <see cref="UsageStoreContract.Cases"/> and run each as a test case of any test framework.
/// </summary>
public sealed class UsageStoreContractCase
{
    private readonly Func<ContractRun, Task> _body;

    internal UsageStoreContractCase(string name, Func<ContractRun, Task> body)
    {
        Name = name;
        _body = body;
    }

    /// <summary>The case's name, Method_Condition_Result, unique within the suite: a test name as it stands.</summary>
    public string Name { get; }

    /// <summary>
    /// Creates a ledger with <paramref name="fixture"/>, runs the case's checks against stores on it and deletes it.
    /// </summary>
    /// <param name="fixture">The provider under test.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>A task that completes when every check held.</returns>
    /// <exception cref="UsageStoreContractException">
    /// A check failed, or the store threw where the case expected an answer; the message names the check, the expected
    /// and the actual value, and <see cref="Exception.InnerException"/> holds what was thrown. Exceptions from
    /// <see cref="UsageStoreContractFixture.CreateLedgerAsync"/> (a provider that is unavailable, say) pass unchanged.
    /// </exception>
    public async Task RunAsync(UsageStoreContractFixture fixture, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        cancellationToken.ThrowIfCancellationRequested();
        var run = await ContractRun.StartAsync(fixture, cancellationToken).ConfigureAwait(false);
        await using (run.ConfigureAwait(false))
        {
            try
            {
                await _body(run).ConfigureAwait(false);
            }
            catch (ContractCheckFailure failure)
            {
                throw new UsageStoreContractException(Name, failure.Check, failure.Expected, failure.Actual, failure);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A store that throws where the contract expects an answer fails the case like a wrong answer does.
                throw new UsageStoreContractException(Name, "the case ran to its end", "no exception", $"{ex.GetType().Name}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The case's name, so that test runners that show arguments show it.</summary>
    /// <returns><see cref="Name"/>.</returns>
    public override string ToString() => Name;
}
