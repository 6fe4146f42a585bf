using System.Globalization;
using Gravity.Usage.Internal;

namespace Gravity.Usage;

/// <summary>Audited corrections of usage.</summary>
public sealed partial class UsageMeter
{
    /// <summary>The most characters a correction's reason may have.</summary>
    internal const int MaxReasonLength = 500;

    /// <summary>
    /// Corrects an account's usage of a sum meter in the bucket of <paramref name="timestamp"/> by a signed delta, and
    /// records it as an audited adjustment: what (account, meter, bucket, delta), why (<paramref name="reason"/>), when,
    /// and under which key. Each correction is applied in a store transaction of its own, not in the group commit.
    /// </summary>
    /// <param name="account">The account (the same rule as <see cref="IncrementAsync"/>'s).</param>
    /// <param name="delta">
    /// The signed change: not 0, and at most <see cref="UsageBillingOptions.MaxIncrementQuantity"/> either way. A
    /// positive delta adds usage, reported like any other. A negative delta takes usage back: first from usage not yet
    /// closed into reports, then from reports never sent (corrected locally, never sent), then from usage the billing
    /// back end may have, which the reporter cancels there and sends again corrected, or parks as needing a credit.
    /// </param>
    /// <param name="meter">A declared meter.</param>
    /// <param name="timestamp">
    /// An instant in the bucket to correct: at most 5 minutes ahead of the clock and at most
    /// <see cref="UsageBillingOptions.MaxBackdate"/> behind it.
    /// </param>
    /// <param name="reason">Why, for the audit trail: 1 to 500 characters of the same rule as <paramref name="account"/> (no control characters).</param>
    /// <param name="idempotencyKey">
    /// Required (1 to 255 characters, the same rule): the same key again for the account returns the original
    /// correction, with <see cref="UsageCorrection.IsRepeat"/> set, and applies nothing more. Keys of corrections are
    /// kept for good, with the correction.
    /// </param>
    /// <param name="cancellationToken">Cancels the correction before it commits.</param>
    /// <returns>The correction, with how it was applied.</returns>
    /// <exception cref="UsageInputException">
    /// An argument is missing or breaks a rule named in the message, or the meter is not declared; the delta is 0 or too
    /// large, the timestamp is out of range, or the correction would take the counter below zero
    /// (<see cref="ArgumentException.ParamName"/> is <c>delta</c>) or past <see cref="UsageBillingOptions.MaxCounterQuantity"/>; nothing was stored.
    /// </exception>
    /// <exception cref="NotSupportedException">The store does not keep corrections.</exception>
    /// <exception cref="ObjectDisposedException">The meter is disposed.</exception>
    public async Task<UsageCorrection> CorrectAsync(
        string account,
        long delta,
        string meter,
        DateTimeOffset timestamp,
        string reason,
        string idempotencyKey,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        UsageRules.ValidateAccount(account);
        if (delta == 0 || delta < -_options.MaxIncrementQuantity || delta > _options.MaxIncrementQuantity)
        {
            throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"A correction's delta must not be 0 and must be at most {_options.MaxIncrementQuantity} (MaxIncrementQuantity) either way; this one is {delta}."),
                nameof(delta));
        }

        ValidateDeclaredMeter(meter);

        // A gauge is corrected by setting it again: its readings are not a sum that a delta could adjust.
        if (MeterKinds.Of(_options, meter) is var kind && MeterKinds.IsGauge(kind))
        {
            throw new UsageInputException(
                $"The meter '{meter}' is a {kind} gauge: correct it by recording the right value with SetAsync(account, value, \"{meter}\"); CorrectAsync adjusts Sum meters only. Nothing was recorded.",
                nameof(meter));
        }

        UsageRules.ValidateIdentifier(reason, nameof(reason), "A correction's reason", MaxReasonLength);
        if (idempotencyKey is null)
        {
            throw new UsageInputException("A correction needs an idempotency key (1 to 255 characters), so that a retry is not applied twice.", nameof(idempotencyKey));
        }

        UsageRules.ValidateIdempotencyKey(idempotencyKey);
        var (now, bucketStart) = StampAt(timestamp);
        if (await CycleOfAsync(account, now, cancellationToken).ConfigureAwait(false) is { } cycle)
        {
            // The bucket the usage was counted in: cut at the account's period boundary, as IncrementAsync cuts it.
            bucketStart = cycle.BucketStart(timestamp, _bucketTicks);
        }

        var store = _store as IUsageCorrectionStore
            ?? throw new NotSupportedException($"The usage store {_store.GetType().Name} does not keep corrections (IUsageCorrectionStore); use the SQLite or PostgreSQL store.");

        var request = new CorrectionRequest
        {
            Account = account,
            Meter = meter,
            BucketStart = bucketStart,
            Delta = delta,
            Reason = reason,
            IdempotencyKey = idempotencyKey,
            Now = now,
        };
        var result = await store.CorrectAsync(request, cancellationToken).ConfigureAwait(false);
        return result.Outcome switch
        {
            CorrectionOutcome.Applied or CorrectionOutcome.Repeat => result.Correction!,
            CorrectionOutcome.BelowZero => throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"A correction may not take a counter below zero: account '{account}', meter '{meter}', bucket {bucketStart:O} holds {result.Available}; nothing was changed."),
                nameof(delta)),
            CorrectionOutcome.WouldOverflow => throw new UsageInputException(
                string.Create(CultureInfo.InvariantCulture, $"Adding {delta} to the counter of account '{account}', meter '{meter}', bucket {bucketStart:O} would exceed {UsageBillingOptions.MaxCounterQuantity} (UsageBillingOptions.MaxCounterQuantity); nothing was changed."),
                nameof(delta)),
            _ => throw new InvalidOperationException($"The usage store returned an unknown correction outcome {result.Outcome}."),
        };
    }

    /// <summary>Lists corrections, oldest first: the audit trail of adjustments, with how each was applied so far.</summary>
    /// <param name="query">Which corrections: by account, meter and the buckets they corrected, paged by id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The corrections.</returns>
    /// <exception cref="UsageInputException">
    /// The query is missing, names a malformed account or meter, or its <see cref="UsageCorrectionQuery.Limit"/> is less than 1.
    /// </exception>
    /// <exception cref="NotSupportedException">The store does not keep corrections.</exception>
    public Task<IReadOnlyList<UsageCorrection>> ListCorrectionsAsync(UsageCorrectionQuery query, CancellationToken cancellationToken = default)
    {
        if (query is null)
        {
            throw new UsageInputException("A correction query is required; it is null.", nameof(query));
        }

        if (query.Limit < 1)
        {
            throw new UsageInputException(string.Create(CultureInfo.InvariantCulture, $"A correction query's Limit must be at least 1; this one is {query.Limit}."), nameof(query));
        }

        if (query.Account is not null)
        {
            UsageRules.ValidateAccount(query.Account, nameof(query));
        }

        if (query.Meter is not null)
        {
            UsageRules.ValidateIdentifier(query.Meter, nameof(query), "A meter name", UsageRules.MaxMeterLength);
        }

        var store = _store as IUsageCorrectionStore
            ?? throw new NotSupportedException($"The usage store {_store.GetType().Name} does not keep corrections (IUsageCorrectionStore); use the SQLite or PostgreSQL store.");
        return store.ListCorrectionsAsync(query, cancellationToken);
    }
}
