namespace Gravity.Usage;

/// <summary>
/// Optional capability of a store that keeps accounts (<see cref="IUsageAccountStore"/>): announces the accounts this
/// process saves, so that <see cref="UsageMeter"/> forgets the billing cycle it cached for the account at once.
/// </summary>
/// <remarks>
/// Without it, a changed billing cycle reaches the meter of this process when its cycle cache refreshes, as it reaches
/// the meters of other processes; until then the meter may cut buckets at the old cycle's boundaries.
/// </remarks>
public interface IAccountChangeSource
{
    /// <summary>
    /// Calls <paramref name="listener"/> with the account id each time <see cref="IUsageAccountStore.SaveAccountAsync"/>
    /// has committed in this process, until the returned handle is disposed. Listeners are called on the saving thread
    /// and must not block.
    /// </summary>
    /// <param name="listener">Called with the account saved.</param>
    /// <returns>A handle that stops the calls when disposed.</returns>
    IDisposable ListenForSavedAccounts(Action<string> listener);
}
