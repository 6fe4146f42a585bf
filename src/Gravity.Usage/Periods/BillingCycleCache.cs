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
/// Concurrent increments of an account not yet loaded share one load. A failed load never fails an increment: the
/// cycle known before is kept (none, for an account not loaded yet, so its usage is not cut), a warning is logged,
/// and the load is tried again after <see cref="RetryAfterFailure"/>, so that the resolver's outage neither loses
/// usage nor slows every increment down.
/// </remarks>
internal sealed partial class BillingCycleCache
{
    /// <summary>Beyond this many accounts, entries past their refresh are swept (at most once per refresh interval).</summary>
    private const int SweepAbove = 100_000;

    /// <summary>How soon a failed load is tried again (or the refresh interval, when shorter).</summary>
    internal static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IUsageAccountResolver? _resolver;
    private readonly long _refreshTicks;
    private readonly long _retryTicks;
    private readonly ILogger _logger;
    private long _lastSweepTicks;

    /// <summary>Initializes a new instance of the <see cref="BillingCycleCache"/> class.</summary>
    /// <param name="resolver">Where cycles come from; without one, no account has a cycle.</param>
    /// <param name="refreshInterval">How long a loaded cycle is used before it is loaded again.</param>
    /// <param name="logger">Where failed refreshes are logged.</param>
    public BillingCycleCache(IUsageAccountResolver? resolver, TimeSpan refreshInterval, ILogger logger)
    {
        _resolver = resolver;
        _refreshTicks = refreshInterval.Ticks;
        _retryTicks = Math.Min(refreshInterval.Ticks, RetryAfterFailure.Ticks);
        _logger = logger;
    }

    /// <summary>The cycle of <paramref name="account"/> when it is loaded and fresh: the increment path's only cost.</summary>
    public bool TryGet(string account, DateTimeOffset now, out AccountCycle? cycle)
    {
        if (_resolver is null)
        {
            cycle = null;
            return true;
        }

        if (_entries.TryGetValue(account, out var entry) && entry.Load.IsCompletedSuccessfully && IsFresh(entry, now))
        {
            cycle = entry.Load.Result.Cycle;
            return true;
        }

        cycle = null;
        return false;
    }

    /// <summary>The cycle of <paramref name="account"/>, loading it when it is missing or due for a refresh.</summary>
    public async Task<AccountCycle?> GetAsync(string account, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (TryGet(account, now, out var cached))
        {
            return cached;
        }

        while (true)
        {
            if (!_entries.TryGetValue(account, out var entry) || (entry.Load.IsCompleted && !IsFresh(entry, now)))
            {
                var fresh = new Entry(LoadAsync(account, entry), now.UtcTicks);
                var won = entry is null ? _entries.TryAdd(account, fresh) : _entries.TryUpdate(account, fresh, entry);
                if (!won)
                {
                    continue; // Another caller started the load; wait for theirs.
                }

                if (entry is null && _entries.Count > SweepAbove && now.UtcTicks - Interlocked.Read(ref _lastSweepTicks) >= _refreshTicks)
                {
                    Interlocked.Exchange(ref _lastSweepTicks, now.UtcTicks);
                    Sweep(now);
                }

                entry = fresh;
            }

            return (await entry.Load.WaitAsync(cancellationToken).ConfigureAwait(false)).Cycle;
        }
    }

    /// <summary>Drops what is known of <paramref name="account"/>, so that its next increment loads it again.</summary>
    public void Invalidate(string account) => _entries.TryRemove(account, out _);

    private async Task<Loaded> LoadAsync(string account, Entry? before)
    {
        // The load is shared by every caller waiting for it, so no caller's token cancels it.
        try
        {
            var mapping = await _resolver!.ResolveAsync(account, CancellationToken.None).ConfigureAwait(false);
            return new Loaded(mapping?.BillingCycle is { } cycle ? new AccountCycle(cycle) : null, Failed: false);
        }
#pragma warning disable CA1031 // Any resolver failure falls back to the cycle known before: recording usage must not depend on it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var known = before is { Load.IsCompletedSuccessfully: true } ? before.Load.Result.Cycle : null;
            LogLoadFailed(_logger, ex, account, known is not null);
            return new Loaded(known, Failed: true);
        }
    }

    private bool IsFresh(Entry entry, DateTimeOffset now) =>
        now.UtcTicks - entry.LoadedAtTicks < (entry.Load.Result.Failed ? _retryTicks : _refreshTicks);

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

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "The billing cycle of account {Account} could not be loaded through the account resolver (a cycle known before is kept: {KeptKnownCycle}); its usage is not cut at a new boundary until a later attempt succeeds.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string account, bool keptKnownCycle);

    /// <summary>What a load found: the cycle, and whether it is only what was known before a failed load.</summary>
    private readonly record struct Loaded(AccountCycle? Cycle, bool Failed);

    /// <summary>One account's cycle, loading or loaded, and when its load started.</summary>
    private sealed class Entry(Task<Loaded> load, long loadedAtTicks)
    {
        public Task<Loaded> Load { get; } = load;

        public long LoadedAtTicks { get; } = loadedAtTicks;
    }
}
