namespace Gravity.Usage;

/// <summary>
/// The listeners of a store's <see cref="IAccountChangeSource"/>: tells who listens (the meter's billing cycle cache)
/// that this process saved an account, so that the change applies at once here; other processes see it when their
/// cache refreshes.
/// </summary>
internal sealed class AccountChanges
{
    private readonly Lock _lock = new();
    private Action<string>[] _listeners = [];

    /// <summary>Adds a listener until the returned handle is disposed.</summary>
    public IDisposable Listen(Action<string> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_lock)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Subscription(this, listener);
    }

    /// <summary>Tells every listener that <paramref name="account"/> was saved (after the save committed).</summary>
    public void Saved(string account)
    {
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            listener(account);
        }
    }

    private void Remove(Action<string> listener)
    {
        lock (_lock)
        {
            _listeners = [.. _listeners.Where(l => l != listener)];
        }
    }

    private sealed class Subscription(AccountChanges owner, Action<string> listener) : IDisposable
    {
        public void Dispose() => owner.Remove(listener);
    }
}
