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
public sealed partial class UsageMeter : IUsageMeter, IAsyncDisposable, IDisposable
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
        _accountChanges = (store as IAccountChangeSource)?.ListenForSavedAccounts(_cycles.Invalidate);
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
    /// The key with another quantity, or another bucket when both calls give a timestamp, is a conflict
    /// (<see cref="UsageIdempotencyConflictException"/>), never a silent duplicate.
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
    /// <exception cref="UsageInputException">
    /// An argument breaks a rule named in the message (<see cref="UsageInput.CheckIncrement"/> checks all but the
    /// timestamp beforehand), the timestamp is out of range, or the counter would overflow; nothing was recorded.
    /// </exception>
    /// <exception cref="UsageIdempotencyConflictException">
    /// The key was already recorded for this account and meter with another quantity or bucket, or by a multi-meter
    /// call (see <see cref="RecordAsync"/>); nothing was recorded.
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
        var increment = CreateIncrement(account, quantity, meter, idempotencyKey, timestamp, reading: false);
        if (await CycleOfAsync(increment.Account, increment.RecordedAt, cancellationToken).ConfigureAwait(false) is { } cycle)
        {
            increment = increment with { BucketStart = cycle.BucketStart(timestamp ?? increment.RecordedAt, _bucketTicks) };
        }

        var status = await _writer.WriteAsync(increment, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            UsageWriteStatus.Recorded => IncrementOutcome.Recorded,
            UsageWriteStatus.Duplicate => IncrementOutcome.Duplicate,
            UsageWriteStatus.WouldOverflow => throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"Adding {quantity} to the counter of account '{increment.Account}', meter '{increment.Meter}', bucket {increment.BucketStart:O} would exceed {UsageBillingOptions.MaxCounterQuantity}, the most a counter may hold (UsageBillingOptions.MaxCounterQuantity); nothing was recorded."),
                nameof(quantity)),
            UsageWriteStatus.Conflict => throw await DescribeConflictAsync(increment, cancellationToken).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"The usage store returned an unknown status {status}."),
        };
    }

    /// <summary>
    /// Records several meters for one account all or nothing: one call, one transaction of the group commit, one
    /// optional idempotency key and one timestamp. Use it where one request uses several meters (a chat request: one
    /// <c>api_calls</c> and N <c>tokens</c>), so that a refused part can never leave the others counted.
    /// </summary>
    /// <param name="account">The host application's customer id (the rules of <see cref="IncrementAsync"/>).</param>
    /// <param name="parts">
    /// What to record, at least one part, each on a different declared meter (<see cref="UsagePart.Increment"/>). Their
    /// order does not matter. A bad part (unknown meter, quantity out of range, a meter named twice) refuses the whole
    /// call.
    /// </param>
    /// <param name="idempotencyKey">
    /// An optional key for the whole call (the rules of <see cref="IncrementAsync"/>): the same call again within
    /// <see cref="UsageBillingOptions.IdempotencyKeyRetention"/> is a <see cref="IncrementOutcome.Duplicate"/>; another call
    /// with the same key is refused with <see cref="UsageIdempotencyConflictException"/>. The key is remembered for each
    /// part's meter, so an <see cref="IncrementAsync"/> with the key on one of those meters conflicts too.
    /// </param>
    /// <param name="timestamp">When the usage happened, for every part; now when <see langword="null"/> (the rules of <see cref="IncrementAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the wait for room in a full queue; once queued, the call is committed and the task reports it.</param>
    /// <returns>
    /// <see cref="IncrementOutcome.Recorded"/> when every part was counted, or <see cref="IncrementOutcome.Duplicate"/>
    /// when the key was already recorded by the same call (nothing counted again).
    /// </returns>
    /// <exception cref="UsageInputException">
    /// An argument or a part breaks a rule (a part's quantity or the timestamp out of range included); the message names
    /// the part (<c>parts[1]</c>) and the rule. Or a part's counter would overflow. Nothing of the call was recorded.
    /// </exception>
    /// <exception cref="UsageIdempotencyConflictException">The key was already recorded with other content; nothing was recorded.</exception>
    /// <exception cref="ObjectDisposedException">The meter is disposed.</exception>
    /// <exception cref="UsageCommitOutcomeUnknownException">
    /// Whether the call committed could not be found out: all of it or none of it is recorded. Retry with the same key.
    /// </exception>
    public async Task<IncrementOutcome> RecordAsync(
        string account,
        IReadOnlyList<UsagePart> parts,
        string? idempotencyKey = null,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default)
    {
        var call = CreateCall(account, parts, idempotencyKey, timestamp);
        if (await CycleOfAsync(account, call[0].RecordedAt, cancellationToken).ConfigureAwait(false) is { } cycle)
        {
            // Every part shares the call's instant, so one cut applies to all of them.
            var bucketStart = cycle.BucketStart(timestamp ?? call[0].RecordedAt, _bucketTicks);
            for (var i = 0; i < call.Length; i++)
            {
                call[i] = call[i] with { BucketStart = bucketStart };
            }
        }

        var status = await _writer.WriteCallAsync(call, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            UsageWriteStatus.Recorded => IncrementOutcome.Recorded,
            UsageWriteStatus.Duplicate => IncrementOutcome.Duplicate,
            UsageWriteStatus.WouldOverflow => throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"Adding the parts to the counters of account '{account}', bucket {call[0].BucketStart:O} would take at least one of the meters {string.Join(", ", call.Select(p => "'" + p.Meter + "'"))} past {UsageBillingOptions.MaxCounterQuantity}, the most a counter may hold (UsageBillingOptions.MaxCounterQuantity); nothing of the call was recorded."),
                nameof(parts)),
            UsageWriteStatus.Conflict => throw await DescribeConflictAsync(call[0], cancellationToken).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"The usage store returned an unknown status {status}."),
        };
    }

    /// <summary>
    /// Records a reading of a gauge meter (<see cref="MeterKind.Last"/>, <see cref="MeterKind.Max"/> or
    /// <see cref="MeterKind.LastEver"/>): seats, storage, concurrent sessions. The task completes once the reading is
    /// committed (durable), in the same group commit as increments.
    /// </summary>
    /// <param name="account">The host application's customer id (the rule of <see cref="IncrementAsync"/>).</param>
    /// <param name="value">The value read: 0 or more, and at most <see cref="UsageBillingOptions.MaxCounterQuantity"/>.</param>
    /// <param name="meter">A declared gauge meter; <see cref="UsageBillingOptions.DefaultMeter"/> when <see langword="null"/>.</param>
    /// <param name="idempotencyKey">An optional key, as for <see cref="IncrementAsync"/>: a reading repeated with the same key counts once.</param>
    /// <param name="timestamp">
    /// When the value was read; now when <see langword="null"/>. The rule of <see cref="IncrementAsync"/>. A reading
    /// older than the bucket's latest does not replace it (a <see cref="MeterKind.Max"/> bucket keeps its highest).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for room in the queue when it is full, as for <see cref="IncrementAsync"/>.</param>
    /// <returns><see cref="IncrementOutcome.Recorded"/>, or <see cref="IncrementOutcome.Duplicate"/> when the key was already recorded.</returns>
    /// <exception cref="UsageInputException">
    /// An argument breaks a rule named in the message (the value or timestamp out of range included), or
    /// <paramref name="meter"/> is a <see cref="MeterKind.Sum"/> meter (use <see cref="IncrementAsync"/>); nothing was
    /// recorded. <see cref="UsageInput.CheckReading"/> checks all but the timestamp beforehand.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The meter is disposed.</exception>
    /// <exception cref="UsageCommitOutcomeUnknownException">As for <see cref="IncrementAsync"/>.</exception>
    public async Task<IncrementOutcome> SetAsync(
        string account,
        long value,
        string? meter = null,
        string? idempotencyKey = null,
        DateTimeOffset? timestamp = null,
        CancellationToken cancellationToken = default)
    {
        var reading = CreateIncrement(account, value, meter, idempotencyKey, timestamp, reading: true);
        if (await CycleOfAsync(reading.Account, reading.RecordedAt, cancellationToken).ConfigureAwait(false) is { } cycle)
        {
            // Cut at the account's period boundaries, as increments are, so that no gauge bucket straddles two periods.
            reading = reading with { BucketStart = cycle.BucketStart(timestamp ?? reading.RecordedAt, _bucketTicks) };
        }

        var status = await _writer.WriteAsync(reading, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            UsageWriteStatus.Recorded => IncrementOutcome.Recorded,
            UsageWriteStatus.Duplicate => IncrementOutcome.Duplicate,
            UsageWriteStatus.Conflict => throw await DescribeConflictAsync(reading, cancellationToken).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"The usage store returned the status {status} for a gauge reading."),
        };
    }

    /// <summary>Reads an account's usage per meter over the buckets that start in [<paramref name="periodStart"/>, <paramref name="periodEnd"/>).</summary>
    /// <param name="account">The account.</param>
    /// <param name="periodStart">The inclusive start of the period.</param>
    /// <param name="periodEnd">The exclusive end of the period; not before <paramref name="periodStart"/>.</param>
    /// <param name="meter">One declared meter to read, or <see langword="null"/> for all of them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage per meter, counted and already reported. It includes every increment whose task has completed.</returns>
    /// <exception cref="UsageInputException">An argument breaks a rule named in the message.</exception>
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
    /// <exception cref="UsageInputException">An argument breaks a rule named in the message.</exception>
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
    /// <exception cref="UsageInputException">An argument breaks a rule named in the message.</exception>
    public Task<IReadOnlyList<UsageBucket>> GetSeriesAsync(string account, DateTimeOffset periodStart, DateTimeOffset periodEnd, string? meter = null, CancellationToken cancellationToken = default)
    {
        UsageRules.ValidateAccount(account);
        ValidatePeriod(periodStart, periodEnd);
        meter ??= _options.DefaultMeter;
        ValidateDeclaredMeter(meter);
        return _store.GetSeriesAsync(account, periodStart, periodEnd, meter, cancellationToken);
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

    private UsageIncrement CreateIncrement(string account, long quantity, string? meter, string? idempotencyKey, DateTimeOffset? timestamp, bool reading)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // One implementation of the rules: the public checks a host can run first are the ones applied here.
        var problem = reading
            ? UsageInput.CheckReading(_options, account, quantity, meter, idempotencyKey)
            : UsageInput.CheckIncrement(_options, account, quantity, meter, idempotencyKey);
        if (problem is not null)
        {
            throw problem;
        }

        meter ??= _options.DefaultMeter;
        var kind = MeterKinds.Of(_options, meter);

        var (now, bucketStart) = StampAt(timestamp);
        return new UsageIncrement(account, meter, bucketStart, quantity, idempotencyKey, now)
        {
            Kind = reading ? kind : MeterKind.Sum,
            ObservedAt = reading ? timestamp?.ToUniversalTime() ?? now : default,
            Fingerprint = idempotencyKey is null ? IdempotencyFingerprint.None : IdempotencyFingerprint.Compute(meter, quantity, bucketStart, timestamp.HasValue),
        };
    }

    /// <summary>Checks a timestamp against the clock and returns now and the bucket the timestamp (or now) falls in.</summary>
    private (DateTimeOffset Now, DateTimeOffset BucketStart) StampAt(DateTimeOffset? timestamp)
    {
        var now = _timeProvider.GetUtcNow();
        var at = timestamp?.ToUniversalTime() ?? now;
        if (at > now + UsageBillingOptions.MaxFutureSkew)
        {
            throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"A timestamp may lie at most 5 minutes ahead of the clock; this one is {at:O}, the clock {now:O}. Nothing was recorded."),
                nameof(timestamp));
        }

        if (at < now - _options.MaxBackdate)
        {
            throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"A timestamp may lie at most {_options.MaxBackdate.TotalDays:0.##} days in the past (MaxBackdate); this one is {at:O}, the clock {now:O}. Nothing was recorded."),
                nameof(timestamp));
        }

        return (now, new DateTimeOffset(at.UtcTicks - (at.UtcTicks % _bucketTicks), TimeSpan.Zero));
    }

    /// <summary>Validates a multi-meter call and makes its parts, in meter order, with the fingerprint of the whole call.</summary>
    private UsageIncrement[] CreateCall(string account, IReadOnlyList<UsagePart> parts, string? idempotencyKey, DateTimeOffset? timestamp)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        UsageRules.ValidateAccount(account);
        if (parts is null || parts.Count == 0)
        {
            throw new UsageInputException("A multi-meter call needs at least one part, such as UsagePart.Increment(\"api_calls\", 1).", nameof(parts));
        }

        var firstPartOfMeter = new Dictionary<string, int>(parts.Count, StringComparer.Ordinal);
        for (var i = 0; i < parts.Count; i++)
        {
            ValidatePart(parts, i);
            if (!firstPartOfMeter.TryAdd(parts[i].Meter, i))
            {
                throw new UsageInputException(
                    string.Create(CultureInfo.InvariantCulture, $"parts[{i}] names meter '{parts[i].Meter}' again (as parts[{firstPartOfMeter[parts[i].Meter]}]); a call names each meter once, so add the quantities into one part."),
                    nameof(parts));
            }
        }

        UsageRules.ValidateIdempotencyKey(idempotencyKey);
        var (now, bucketStart) = StampAt(timestamp);

        // Meter order: the fingerprint does not depend on the order the parts were given in, and stores lock counters in one order.
        var ordered = parts.OrderBy(p => p.Meter, StringComparer.Ordinal).ToList();
        var fingerprint = idempotencyKey is null ? IdempotencyFingerprint.None : IdempotencyFingerprint.Compute(ordered, bucketStart, timestamp.HasValue);
        var call = new UsageIncrement[ordered.Count];
        for (var i = 0; i < call.Length; i++)
        {
            call[i] = new UsageIncrement(account, ordered[i].Meter, bucketStart, ordered[i].Quantity, idempotencyKey, now)
            {
                Fingerprint = fingerprint,
                PartIndex = i,
                PartCount = call.Length,
            };
        }

        return call;
    }

    private void ValidatePart(IReadOnlyList<UsagePart> parts, int index)
    {
        var part = parts[index];
        if (part is null)
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"parts[{index}] is null; every part must be a UsagePart."), nameof(parts));
        }

        if (UsageInput.CheckDeclaredMeter(_options, part.Meter, nameof(parts)) is { } meterProblem)
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"parts[{index}]: {RuleOf(meterProblem)} Nothing of the call was recorded."), nameof(parts));
        }

        switch (part.Kind)
        {
            case UsagePartKind.Increment when part.Quantity < 1 || part.Quantity > _options.MaxIncrementQuantity:
                throw new UsageInputException(
                    string.Create(CultureInfo.InvariantCulture, $"parts[{index}] (meter '{part.Meter}'): a quantity must be at least 1 and at most {_options.MaxIncrementQuantity} (MaxIncrementQuantity); this one is {part.Quantity}. Nothing of the call was recorded."),
                    nameof(parts));
            case UsagePartKind.Increment when MeterKinds.IsGauge(MeterKinds.Of(_options, part.Meter)):
                throw new UsageInputException(
                    string.Create(CultureInfo.InvariantCulture, $"parts[{index}]: {MeterKinds.IncrementOnGauge(part.Meter, MeterKinds.Of(_options, part.Meter))}"),
                    nameof(parts));
            case UsagePartKind.Increment:
                break;
            default:
                throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"parts[{index}] (meter '{part.Meter}') is of kind {part.Kind}, which this meter cannot record."), nameof(parts));
        }
    }

    /// <summary>The exception for a key already recorded with other content, saying what differs when the store can tell.</summary>
    private async Task<UsageIdempotencyConflictException> DescribeConflictAsync(UsageIncrement attempted, CancellationToken cancellationToken)
    {
        var stored = IdempotencyFingerprint.None;
        if (_store is IIdempotencyFingerprintReader reader)
        {
            try
            {
                stored = await reader.ReadFingerprintAsync(attempted.Account, attempted.Meter, attempted.IdempotencyKey!, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The read only improves the message; the conflict stands without it.
            catch (Exception)
#pragma warning restore CA1031
            {
                stored = IdempotencyFingerprint.None;
            }
        }

        var what = stored == IdempotencyFingerprint.None ? "its content" : IdempotencyFingerprint.DescribeDifference(stored, attempted.Fingerprint);
        return new UsageIdempotencyConflictException(
            $"The idempotency key was already used on meter '{attempted.Meter}' of this account by a call that differs in {what}; nothing was recorded. A retry must repeat the original call exactly (the same meters, quantities and timestamp); new usage needs a new key.");
    }

    /// <summary>
    /// The account's billing cycle, for cutting its increment's bucket at the start of its billing period when the
    /// period began inside the aligned bucket (the idempotency fingerprint keeps the aligned bucket, so a retry after a
    /// cycle change is still a retry). Without a cycle, or with one cached, this is one dictionary lookup (and the cut
    /// two comparisons while the account's increments stay in the period they last fell in).
    /// </summary>
    private ValueTask<AccountCycle?> CycleOfAsync(string account, DateTimeOffset now, CancellationToken cancellationToken) =>
        _cycles.TryGet(account, now, out var cycle) ? ValueTask.FromResult(cycle) : new ValueTask<AccountCycle?>(_cycles.GetAsync(account, now, cancellationToken));

    private void ValidateDeclaredMeter(string? meter)
    {
        if (UsageInput.CheckDeclaredMeter(_options, meter, nameof(meter)) is { } problem)
        {
            throw problem;
        }
    }

    /// <summary>An error's rule without the " (Parameter 'x')" that <see cref="ArgumentException.Message"/> appends, to quote it inside another message.</summary>
    private static string RuleOf(ArgumentException problem) =>
        problem.ParamName is { } name && problem.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? problem.Message[..^$" (Parameter '{name}')".Length]
            : problem.Message;

    private static void ValidatePeriod(DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        if (periodEnd < periodStart)
        {
            throw new UsageInputException($"The end of the period ({periodEnd:O}) must not lie before its start ({periodStart:O}).", nameof(periodEnd));
        }
    }
}
