using System.Diagnostics.Metrics;
using System.Globalization;
using Gravity.Usage.Internal;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gravity.Usage;

/// <summary>
/// Counts what accounts use and reads it back. Increments from all threads are group-committed: each call's task
/// completes once its increment is durable in the <see cref="IUsageStore"/>.
/// </summary>
/// <remarks>
/// Register it with <c>services.AddUsageBilling()</c> and inject it, or create one per store. Disposing the meter
/// commits everything already queued, then rejects further increments with <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class UsageMeter : IUsageMeter, IAsyncDisposable, IDisposable
{
    private readonly IUsageStore _store;
    private readonly UsageBillingOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly GroupCommitWriter _writer;
    private readonly long _bucketTicks;
    private readonly BillingCycleCache _cycles;
    private readonly IDisposable? _accountChanges;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="UsageMeter"/> class.</summary>
    /// <param name="store">The ledger the meter writes to and reads from.</param>
    /// <param name="options">The counting options; validated here, listing every failure.</param>
    /// <param name="timeProvider">The clock that stamps increments; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Where commit failures are logged; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">
    /// Creates the <see cref="UsageTelemetry.MeterName"/> meter the metrics are recorded on (DI's, so they belong to the container);
    /// one shared static meter when <see langword="null"/>.
    /// </param>
    /// <param name="accounts">
    /// Where accounts' billing cycles come from, to cut buckets at period boundaries (the registered
    /// <see cref="IUsageAccountResolver"/> under DI); the store's built-in account mapping when <see langword="null"/>
    /// and the store keeps one, else no account has a cycle.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public UsageMeter(
        IUsageStore store,
        IOptions<UsageBillingOptions> options,
        TimeProvider? timeProvider = null,
        ILogger<UsageMeter>? logger = null,
        IMeterFactory? meterFactory = null,
        IUsageAccountResolver? accounts = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var validation = new UsageBillingOptionsValidator().Validate(Options.DefaultName, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(UsageBillingOptions), validation.Failures);
        }

        _store = store;
        _options = value;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _bucketTicks = value.BucketSize.Ticks;
        _writer = new GroupCommitWriter(store, value, _timeProvider, (ILogger?)logger ?? NullLogger.Instance, UsageInstruments.For(meterFactory));
        accounts ??= store is IUsageAccountStore mapping ? new StoreAccountResolver(mapping) : null;
        _cycles = new BillingCycleCache(accounts, value.BillingCycleRefreshInterval, (ILogger?)logger ?? NullLogger.Instance);
        // A save through the built-in store in this process applies to the next increment; other processes refresh.
        _accountChanges = (store as IAccountChangeSource)?.AccountChanges.Listen(_cycles.Invalidate);
    }

    /// <summary>
    /// Adds <paramref name="quantity"/> to an account's usage of a meter. The task completes once the increment is
    /// committed (durable), together with every other increment that arrived meanwhile.
    /// </summary>
    /// <param name="account">
    /// The host application's customer id: 1 to 200 characters of well-formed UTF-16 (no unpaired surrogates), no NUL or
    /// other control characters, not only white space or invisible format characters (such as U+200B).
    /// </param>
    /// <param name="quantity">How much was used: at least 1 and at most <see cref="UsageBillingOptions.MaxIncrementQuantity"/>.</param>
    /// <param name="meter">A declared meter; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="idempotencyKey">
    /// An optional key (1 to 255 characters, the same rule as <paramref name="account"/>), such as a request id: however often an increment with the same key
    /// arrives for this account and meter within <see cref="UsageBillingOptions.IdempotencyKeyRetention"/>, it counts once.
    /// </param>
    /// <param name="timestamp">
    /// When the usage happened; now when <see langword="null"/>. At most 5 minutes ahead of the clock and at most
    /// <see cref="UsageBillingOptions.MaxBackdate"/> behind it.
    /// </param>
    /// <param name="cancellationToken">
    /// Cancels the wait for room in the queue when it is full. Once queued, the increment is committed and the task
    /// reports it, so the outcome is never left unknown.
    /// </param>
    /// <returns><see cref="IncrementOutcome.Recorded"/>, or <see cref="IncrementOutcome.Duplicate"/> when the key was already counted.</returns>
    /// <exception cref="ArgumentException">An argument breaks a rule named in the message; nothing was recorded.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The quantity or timestamp is out of range, or the counter would overflow; nothing was recorded.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The meter is disposed.</exception>
    /// <exception cref="UsageCommitOutcomeUnknownException">
    /// The connection failed during the commit and whether it committed could not be found out: the increment may or
    /// may not be recorded. Retrying with the same idempotency key is safe; retrying without one may count twice.
    /// </exception>
    /// <remarks>
    /// <para>
    /// If the store cannot commit the batch, the task faults with the store's exception and the increment was not
    /// recorded; retrying is safe. Only <see cref="UsageCommitOutcomeUnknownException"/> leaves the outcome open.
    /// </para>
    /// <para>
    /// When the account has a billing cycle, the increment goes into the bucket that starts at the later of the
    /// aligned bucket start and the start of its billing period, so no bucket spans two periods. The cycle is cached
    /// (see <see cref="UsageBillingOptions.BillingCycleRefreshInterval"/>). A resolver that fails never fails the
    /// increment: the cycle known before is used (none for an account not loaded yet), a warning is logged, and the
    /// load is tried again a few seconds later.
    /// </para>
    /// </remarks>
    public async Task<IncrementOutcome> IncrementAsync(
        string account,
        long quantity = 1,
        string? meter = null,
        string? idempotencyKey = null,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default)
    {
        var increment = CreateIncrement(account, quantity, meter, idempotencyKey, timestamp);
        increment = await CutAtPeriodAsync(increment, timestamp, cancellationToken).ConfigureAwait(false);
        var status = await _writer.WriteAsync(increment, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            UsageWriteStatus.Recorded => IncrementOutcome.Recorded,
            UsageWriteStatus.Duplicate => IncrementOutcome.Duplicate,
            UsageWriteStatus.WouldOverflow => throw new ArgumentOutOfRangeException(
                nameof(quantity),
                quantity,
                string.Create(CultureInfo.InvariantCulture, $"Adding {quantity} to the counter of account '{increment.Account}', meter '{increment.Meter}', bucket {increment.BucketStart:O} would exceed {UsageBillingOptions.MaxCounterQuantity}, the most a counter may hold (UsageBillingOptions.MaxCounterQuantity); nothing was recorded.")),
            _ => throw new InvalidOperationException($"The usage store returned an unknown status {status}."),
        };
    }

    /// <summary>Reads an account's usage per meter over the buckets that start in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>).</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period; not before <paramref name="periodStart"/>.</param>
    /// <param name="meter">One declared meter to read, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage per meter, counted and already reported. It includes every increment whose task has completed.</returns>
    /// <exception cref="ArgumentException">An argument breaks a rule named in the message.</exception>
    /// <exception cref="OverflowException">A meter's total over the period is more than a <see cref="long"/> holds; read shorter periods.</exception>
    public async Task<UsageSummary> GetAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter = null, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        ValidatePeriod(periodStart, periodEnd);
        if (meter is not null)
        {
            ValidateDeclaredMeter(meter);
        }

        var totals = await _store.GetTotalsAsync(account, periodStart, periodEnd, meter, cancellationToken).ConfigureAwait(false);
        return new UsageSummary(account, periodStart, periodEnd, totals);
    }

    /// <summary>
    /// Reads an account's usage per meter over its current billing period: the period of its billing cycle that holds
    /// now, or the current UTC calendar month when the account has no cycle.
    /// </summary>
    /// <param name="account">The account.</param>
    /// <param name="meter">One declared meter to read, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The usage per meter; <see cref="UsageSummary.From"/> and <see cref="UsageSummary.To"/> are the period. Buckets are
    /// cut at period boundaries, so the usage is exactly the period's.
    /// </returns>
    /// <exception cref="ArgumentException">An argument breaks a rule named in the message.</exception>
    public async Task<UsageSummary> GetCurrentPeriodAsync(string account, string? meter = null, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        if (meter is not null)
        {
            ValidateDeclaredMeter(meter);
        }

        var now = _timeProvider.GetUtcNow();
        var period = BillingPeriods.Of((await _cycles.GetAsync(account, now, cancellationToken).ConfigureAwait(false))?.Cycle, now);
        var totals = await _store.GetTotalsAsync(account, period.Start, period.End, meter, cancellationToken).ConfigureAwait(false);
        return new UsageSummary(account, period.Start, period.End, totals);
    }

    /// <summary>Reads an account's usage of one meter per bucket over the buckets that start in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>), for charts.</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period; not before <paramref name="periodStart"/>.</param>
    /// <param name="meter">A declared meter; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The buckets that hold usage, in time order; buckets with no usage are absent.</returns>
    /// <exception cref="ArgumentException">An argument breaks a rule named in the message.</exception>
    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter = null, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        ValidatePeriod(periodStart, periodEnd);
        meter ??= _options.DefaultMeter;
        ValidateDeclaredMeter(meter);
        return _store.GetSeriesAsync(account, meter, periodStart, periodEnd, cancellationToken);
    }

    /// <summary>The group-commit writer's state, for the ledger health check.</summary>
    internal (int Queued, TimeSpan? CommitRunningFor, bool Stopped) WriterHealth() => _writer.Health();

    /// <summary>Commits every queued increment, then rejects further ones. Does not dispose the store.</summary>
    /// <returns>A task that completes when the queue is drained.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        _accountChanges?.Dispose();
        return _writer.DisposeAsync();
    }

    /// <summary>Commits every queued increment, then rejects further ones; blocks until the queue is drained.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private UsageIncrement CreateIncrement(string account, long quantity, string? meter, string? idempotencyKey, DateTimeOffset? timestamp)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        UsageRules.ValidateAccount(account);
        if (quantity < 1 || quantity > _options.MaxIncrementQuantity)
        {
            throw new ArgumentOutOfRangeException(
                nameof(quantity),
                quantity,
                string.Create(CultureInfo.InvariantCulture, $"A quantity must be at least 1 and at most {_options.MaxIncrementQuantity} (MaxIncrementQuantity)."));
        }

        meter ??= _options.DefaultMeter;
        ValidateDeclaredMeter(meter);
        UsageRules.ValidateIdempotencyKey(idempotencyKey);

        var now = _timeProvider.GetUtcNow();
        var at = timestamp?.ToUniversalTime() ?? now;
        if (at > now + UsageBillingOptions.MaxFutureSkew)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), at, "A timestamp may lie at most 5 minutes ahead of the clock.");
        }

        if (at < now - _options.MaxBackdate)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestamp),
                at,
                string.Create(CultureInfo.InvariantCulture, $"A timestamp may lie at most {_options.MaxBackdate.TotalDays:0.##} days in the past (MaxBackdate)."));
        }

        var bucketStart = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % _bucketTicks), TimeSpan.Zero);
        return new UsageIncrement(account, meter, bucketStart, quantity, idempotencyKey, now);
    }

    /// <summary>
    /// Moves the increment into the bucket that starts at its billing period's start when the period began inside the
    /// aligned bucket. Without a cycle, or with one cached, this is one dictionary lookup (and two comparisons while the
    /// account's increments stay in the period they last fell in).
    /// </summary>
    private async ValueTask<UsageIncrement> CutAtPeriodAsync(UsageIncrement increment, DateTimeOffset? timestamp, CancellationToken cancellationToken)
    {
        if (!_cycles.TryGet(increment.Account, increment.RecordedAt, out var cycle))
        {
            cycle = await _cycles.GetAsync(increment.Account, increment.RecordedAt, cancellationToken).ConfigureAwait(false);
        }

        return cycle is null
            ? increment
            : increment with { BucketStart = cycle.BucketStart(timestamp ?? increment.RecordedAt, _bucketTicks) };
    }

    private void ValidateDeclaredMeter(string meter)
    {
        // The identifier rule first, so that a malformed name is named as such rather than as merely undeclared.
        UsageRules.ValidateIdentifier(meter, nameof(meter), "A meter name", UsageRules.MaxMeterLength);
        if (!_options.IsDeclared(meter))
        {
            throw new ArgumentException($"'{meter}' is not a declared meter; declare it with AddMeter(\"{meter}\") when registering usage billing.", nameof(meter));
        }
    }

    private static void ValidatePeriod(DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        if (periodEnd < periodStart)
        {
            throw new ArgumentException($"The end of the period ({periodEnd:O}) must not lie before its start ({periodStart:O}).", nameof(periodEnd));
        }
    }
}
