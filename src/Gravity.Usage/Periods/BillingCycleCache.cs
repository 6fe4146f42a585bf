using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage;

/// <summary>
/// The billing cycle of each account the meter has seen, kept in memory so that cutting buckets at period boundaries
/// costs the increment path one dictionary lookup. An account's cycle is loaded once through the
/// <see cref="IUsageAccountResolver"/>, loaded again after <see cref="UsageBillingOptions.BillingCycleRefreshInterval"/>,
/// and dropped at once when this process saves the account through the built-in store.
/// </summary>
/// <remarks>
/// Concurrent increments of an account not yet loaded share one load. A failed first load fails the increments that
/// waited for it (nothing is recorded; the next one tries again); a failed refresh keeps the cycle known before.
/// </remarks>
internal sealed partial class BillingCycleCache
{
    /// <summary>Beyond this many accounts, entries past their refresh are swept before another is added.</summary>
    private const int SweepAbove = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IUsageAccountResolver? _resolver;
    private readonly long _refreshTicks;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="BillingCycleCache"/> class.</summary>
    /// <param name="resolver">Where cycles come from; without one, no account has a cycle.</param>
    /// <param name="refreshInterval">How long a loaded cycle is used before it is loaded again.</param>
    /// <param name="logger">Where failed refreshes are logged.</param>
    public BillingCycleCache(IUsageAccountResolver? resolver, TimeSpan refreshInterval, ILogger logger)
    {
        _resolver = resolver;
        _refreshTicks = refreshInterval.Ticks;
        _logger = logger;
    }

    /// <summary>The cycle of <paramref name="account"/> when it is loaded and fresh: the increment path's only cost.</summary>
    public bool TryGet(string account, DateTimeOffset now, out BillingCycle? cycle)
    {
        if (_resolver is null)
        {
            cycle = null;
            return true;
        }

        if (_entries.TryGetValue(account, out var entry) && entry.Load.IsCompletedSuccessfully && now.UtcTicks - entry.LoadedAtTicks < _refreshTicks)
        {
            cycle = entry.Load.Result;
            return true;
        }

        cycle = null;
        return false;
    }

    /// <summary>The cycle of <paramref name="account"/>, loading it when it is missing or due for a refresh.</summary>
    public async Task<BillingCycle?> GetAsync(string account, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (TryGet(account, now, out var cached))
        {
            return cached;
        }

        while (true)
        {
            if (!_entries.TryGetValue(account, out var entry) || (entry.Load.IsCompleted && now.UtcTicks - entry.LoadedAtTicks >= _refreshTicks))
            {
                var fresh = new Entry(LoadAsync(account, entry), now.UtcTicks);
                var won = entry is null ? _entries.TryAdd(account, fresh) : _entries.TryUpdate(account, fresh, entry);
                if (!won)
                {
                    continue; // Another caller started the load; wait for theirs.
                }

                if (entry is null && _entries.Count > SweepAbove)
                {
                    Sweep(now);
                }

                entry = fresh;
            }

            try
            {
                return await entry.Load.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A failed first load is not kept: the next increment of the account tries again.
                _entries.TryRemove(new KeyValuePair<string, Entry>(account, entry));
                throw;
            }
        }
    }

    /// <summary>Drops what is known of <paramref name="account"/>, so that its next increment loads it again.</summary>
    public void Invalidate(string account) => _entries.TryRemove(account, out _);

    /// <summary>Gets how many accounts are cached (for tests).</summary>
    internal int Count => _entries.Count;

    private async Task<BillingCycle?> LoadAsync(string account, Entry? stale)
    {
        // The load is shared by every caller waiting for it, so no caller's token cancels it.
        try
        {
            var mapping = await _resolver!.ResolveAsync(account, CancellationToken.None).ConfigureAwait(false);
            return mapping?.BillingCycle;
        }
        catch (Exception ex) when (stale is { Load.IsCompletedSuccessfully: true })
        {
            LogRefreshFailed(_logger, ex, account);
            return stale.Load.Result;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (account, entry) in _entries)
        {
            if (now.UtcTicks - entry.LoadedAtTicks >= _refreshTicks)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(account, entry));
            }
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "The billing cycle of account {Account} could not be refreshed; the one loaded before stays in use until the next attempt.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string account);

    /// <summary>One account's cycle, loading or loaded, and when its load started.</summary>
    private sealed class Entry(Task<BillingCycle?> load, long loadedAtTicks)
    {
        public Task<BillingCycle?> Load { get; } = load;

        public long LoadedAtTicks { get; } = loadedAtTicks;
    }
}
