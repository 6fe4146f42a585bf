using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Gravity.Usage.Telemetry;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.Internal;

/// <summary>
/// Coalesces concurrent increments into batches and hands each batch to the store as one transaction (group commit).
/// A caller's task completes only once its batch has committed, or faults when the batch failed.
/// </summary>
/// <remarks>
/// One loop drains whatever is waiting, up to the batch cap, so under no load a single increment commits at once
/// and under load thousands share one commit. The queue is bounded: when it is full, callers wait. A store that
/// commits several batches at once (<see cref="IConcurrentBatchStore"/>, PostgreSQL on separate connections) gets up
/// to that many batches in flight; any other store gets one batch at a time.
/// </remarks>
internal sealed partial class GroupCommitWriter : IAsyncDisposable
{
    /// <summary>Expired idempotency keys are deleted in slices so that a prune never stalls increments for long.</summary>
    internal const int PruneSliceSize = 5_000;

    /// <summary>How many times the loop lets the callers a commit released queue their next increments before it drains.</summary>
    private const int MaxYieldsForReleasedCallers = 4;

    private static readonly TimeSpan s_pruneInterval = TimeSpan.FromMinutes(10);

    private readonly IUsageStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly UsageInstruments _instruments;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _keyRetention;
    private readonly Channel<PendingIncrement> _queue;
    private readonly Task _loop;
    private readonly int _concurrency;
    private readonly SemaphoreSlim _slots;
    private readonly long[] _commitStartedAt;
    private readonly Stack<int> _freeSlots;
    private DateTimeOffset _nextPruneAt;

    /// <summary>The callers of the batch that committed last, with several batches in flight.</summary>
    private int _lastReleased;

    public GroupCommitWriter(IUsageStore store, UsageBillingOptions options, TimeProvider timeProvider, ILogger logger, UsageInstruments instruments)
    {
        _store = store;
        _timeProvider = timeProvider;
        _logger = logger;
        _instruments = instruments;
        _maxBatchSize = options.MaxBatchSize;
        _keyRetention = options.IdempotencyKeyRetention;
        _nextPruneAt = timeProvider.GetUtcNow();
        _concurrency = store is IConcurrentBatchStore concurrent ? Math.Max(1, concurrent.MaxConcurrentBatches) : 1;
        _slots = new SemaphoreSlim(_concurrency, _concurrency);
        _commitStartedAt = new long[_concurrency];
        _freeSlots = new Stack<int>(Enumerable.Range(0, _concurrency).Reverse());
        _queue = Channel.CreateBounded<PendingIncrement>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues an increment and completes when it is committed.</summary>
    /// <remarks>
    /// The token is honoured only while waiting for room in the queue: once queued, the increment will be committed,
    /// and the task reports it, so a cancelled caller never leaves an outcome unknown.
    /// </remarks>
    public ValueTask<UsageWriteStatus> WriteAsync(UsageIncrement increment, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingIncrement(increment, null), cancellationToken);

    /// <summary>
    /// Queues the parts of one multi-meter call as one item and completes when they are committed. The item is never
    /// split: the parts share a batch, and every part ends with the same status.
    /// </summary>
    public ValueTask<UsageWriteStatus> WriteCallAsync(UsageIncrement[] parts, CancellationToken cancellationToken) =>
        EnqueueAsync(new PendingIncrement(parts[0], parts), cancellationToken);

    private ValueTask<UsageWriteStatus> EnqueueAsync(PendingIncrement pending, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(pending))
        {
            return new ValueTask<UsageWriteStatus>(EnqueueWhenRoomAsync(pending, cancellationToken));
        }

        // The one measurement on the caller's path: a tagless add, next to free while nobody listens.
        _instruments.QueueDepth.Add(pending.Size);

        // The pending increment itself is what the caller awaits: no task, no state machine, and no second hop through
        // the thread pool when the commit completes it (its continuation runs asynchronously, never on the writer's loop).
        return pending.Completion;
    }

    /// <summary>The queue is full (or closed): waits for room, then for the commit.</summary>
    private async Task<UsageWriteStatus> EnqueueWhenRoomAsync(PendingIncrement pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(UsageMeter), "The usage meter is disposed; no further increments are accepted.");
        }

        _instruments.QueueDepth.Add(pending.Size);
        return await pending.Completion.ConfigureAwait(false);
    }

    /// <summary>What a health check needs to know: increments waiting, how long the oldest commit in progress has run, whether the loop ended.</summary>
    public (int Queued, TimeSpan? CommitRunningFor, bool Stopped) Health()
    {
        long oldest = 0;
        for (var i = 0; i < _commitStartedAt.Length; i++)
        {
            var started = Volatile.Read(ref _commitStartedAt[i]);
            if (started != 0 && (oldest == 0 || started < oldest))
            {
                oldest = started;
            }
        }

        return (_queue.Reader.Count, oldest == 0 ? null : _timeProvider.GetElapsedTime(oldest), _loop.IsCompleted);
    }

    /// <summary>Stops accepting increments, commits everything already queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private Task RunAsync() => _concurrency == 1 ? RunOneAtATimeAsync() : RunConcurrentlyAsync();

    private async Task RunOneAtATimeAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingIncrement>(Math.Min(_maxBatchSize, 1024));
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Drain(batch);
            Volatile.Write(ref _commitStartedAt[0], _timeProvider.GetTimestamp());
            await CommitAsync(batch).ConfigureAwait(false);
            Volatile.Write(ref _commitStartedAt[0], 0);
            var released = batch.Count;
            batch.Clear();
            await PruneIfDueAsync().ConfigureAwait(false);
            await LetReleasedCallersQueueAsync(released).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A caller whose increment just committed usually queues its next one at once, but its continuation runs on the
    /// thread pool: draining before it has would leave it for the commit after, and split the callers over two
    /// alternating commits of half the size. Yielding lets those continuations run first. It stops as soon as a yield
    /// brings nobody new, so a lone caller under no load pays one yield, and nothing waits on a timer.
    /// </summary>
    private async Task LetReleasedCallersQueueAsync(int released)
    {
        var reader = _queue.Reader;
        for (var i = 0; i < MaxYieldsForReleasedCallers && reader.Count < released; i++)
        {
            var before = reader.Count;
            await Task.Yield();
            if (reader.Count == before)
            {
                return;
            }
        }
    }

    /// <summary>Several batches in flight, each committed on its own (the store's connections): a batch forms whenever a slot is free.</summary>
    private async Task RunConcurrentlyAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            await LetReleasedCallersQueueAsync(Volatile.Read(ref _lastReleased)).ConfigureAwait(false);
            int slot;
            lock (_freeSlots)
            {
                slot = _freeSlots.Pop();
            }

            var batch = new List<PendingIncrement>();
            Drain(batch);
            _ = CommitInSlotAsync(batch, slot);
            await PruneIfDueAsync().ConfigureAwait(false);
        }

        // Disposing waits for the batches still in flight: every queued increment is committed before it returns.
        for (var i = 0; i < _concurrency; i++)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
        }
    }

    private async Task CommitInSlotAsync(List<PendingIncrement> batch, int slot)
    {
        Volatile.Write(ref _commitStartedAt[slot], _timeProvider.GetTimestamp());
        try
        {
            // CommitAsync hands every failure to the batch's callers; it does not throw.
            await CommitAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _lastReleased, batch.Count);
            Volatile.Write(ref _commitStartedAt[slot], 0);
            lock (_freeSlots)
            {
                _freeSlots.Push(slot);
            }

            _slots.Release();
        }
    }

    /// <summary>Takes what is waiting, up to the batch cap, into <paramref name="batch"/>.</summary>
    private void Drain(List<PendingIncrement> batch)
    {
        // Counted in increments, so a batch of multi-meter calls passes the cap by less than one call's parts.
        var increments = 0;
        while (increments < _maxBatchSize && _queue.Reader.TryRead(out var pending))
        {
            batch.Add(pending);
            increments += pending.Size;
        }

        _instruments.QueueDepth.Add(-increments);
    }

    private async Task CommitAsync(List<PendingIncrement> batch)
    {
        using var activity = UsageActivities.Source.StartActivity(UsageActivities.GroupCommit);
        var increments = Flatten(batch);
        activity?.SetTag(UsageTags.BatchSize, increments.Length);
        _instruments.BatchSize.Record(increments.Length);
        var started = Stopwatch.GetTimestamp();

        IReadOnlyList<UsageWriteStatus> statuses;
        try
        {
            statuses = await _store.WriteAsync(increments, CancellationToken.None).ConfigureAwait(false);
            if (statuses.Count != increments.Length)
            {
                throw new InvalidOperationException($"The usage store returned {statuses.Count} statuses for a batch of {increments.Length} increments.");
            }
        }
#pragma warning disable CA1031 // Any failure must reach the callers of this batch instead of ending the loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var unknown = ex is UsageCommitOutcomeUnknownException;
            RecordCommit(activity, started, unknown ? UsageTags.Unknown : UsageTags.Failed, ex);
            // Never after an unknown outcome: the batch may have committed, and committing it again could count it twice.
            if (batch.Count > 1 && ex is not UsageCommitOutcomeUnknownException && _store is IBatchFailureClassifier classifier && classifier.IsCausedByContent(ex))
            {
                // One increment's content was refused and the transaction rolled back: commit the halves on their own,
                // in order, so that only the offender faults and a key repeated across the halves stays a duplicate.
                LogBatchSplit(_logger, ex, batch.Count);
                var half = batch.Count / 2;
                await CommitAsync(batch.GetRange(0, half)).ConfigureAwait(false);
                await CommitAsync(batch.GetRange(half, batch.Count - half)).ConfigureAwait(false);
                return;
            }

            if (ex is UsageCommitOutcomeUnknownException)
            {
                LogCommitOutcomeUnknown(_logger, ex, batch.Count);
            }
            else
            {
                LogCommitFailed(_logger, ex, batch.Count);
            }

            // A lone increment whose content the store refused is refused; anything else failed (or may have).
            var outcome = batch.Count == 1 && !unknown && _store is IBatchFailureClassifier single && single.IsCausedByContent(ex) ? UsageTags.Refused : UsageTags.Failed;
            foreach (var pending in batch)
            {
                CountIncrements(pending, outcome);
                pending.TrySetException(ex);
            }

            return;
        }

        RecordCommit(activity, started, UsageTags.Committed, null);
        var index = 0;
        foreach (var pending in batch)
        {
            // The store gives every part of a call the same status; the first part's is the call's.
            var status = statuses[index];
            index += pending.Size;
            CountIncrements(pending, status switch
            {
                UsageWriteStatus.Recorded => UsageTags.Recorded,
                UsageWriteStatus.Duplicate => UsageTags.Duplicate,
                UsageWriteStatus.Conflict => UsageTags.Conflict,
                _ => UsageTags.Refused,
            });
            pending.TrySetResult(status);
        }
    }

    /// <summary>The increments of the batch in order, the parts of each multi-meter call side by side.</summary>
    private static UsageIncrement[] Flatten(List<PendingIncrement> batch)
    {
        var count = 0;
        foreach (var pending in batch)
        {
            count += pending.Size;
        }

        var increments = new UsageIncrement[count];
        var index = 0;
        foreach (var pending in batch)
        {
            if (pending.Parts is { } parts)
            {
                parts.CopyTo(increments, index);
                index += parts.Length;
            }
            else
            {
                increments[index++] = pending.Increment;
            }
        }

        return increments;
    }

    private void CountIncrements(PendingIncrement pending, string outcome)
    {
        if (pending.Parts is { } parts)
        {
            foreach (var part in parts)
            {
                CountIncrement(part, outcome);
            }
        }
        else
        {
            CountIncrement(pending.Increment, outcome);
        }
    }

    private void RecordCommit(Activity? activity, long started, string outcome, Exception? exception)
    {
        _instruments.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(UsageTags.Outcome, outcome));
        if (activity is not null)
        {
            activity.SetTag(UsageTags.Outcome, outcome);
            if (exception is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            }
        }
    }

    private void CountIncrement(UsageIncrement increment, string outcome)
    {
        // Checked first so that a host without a listener pays no TagList per increment.
        if (_instruments.Increments.Enabled)
        {
            _instruments.Increments.Add(1, new TagList { { UsageTags.Meter, increment.Meter }, { UsageTags.Outcome, outcome } });
        }
    }

    private async Task PruneIfDueAsync()
    {
        var now = _timeProvider.GetUtcNow();
        if (now < _nextPruneAt)
        {
            return;
        }

        try
        {
            _nextPruneAt = await ExpiredKeyPruning.PruneAsync(_store, now - _keyRetention, PruneSliceSize, _timeProvider).ConfigureAwait(false) ?? now + s_pruneInterval;
        }
#pragma warning disable CA1031 // Pruning is housekeeping: a failure is logged and tried again later.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogPruneFailed(_logger, ex);
            _nextPruneAt = now + s_pruneInterval;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "A batch of {Count} usage increments could not be committed; none of it was recorded and its callers were given the error.")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "The connection failed while a batch of {Count} usage increments was committed, and whether it committed is unknown; its callers were told so.")]
    private static partial void LogCommitOutcomeUnknown(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "A batch of {Count} usage increments was refused because of one increment's content; committing it again in halves so that only that increment fails.")]
    private static partial void LogBatchSplit(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Expired idempotency keys could not be pruned; trying again later.")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);

    /// <summary>
    /// An increment, or the parts of one multi-meter call, waiting for its batch to commit. It is itself the source of
    /// the <see cref="ValueTask{TResult}"/> its caller awaits, once: one allocation per increment instead of a
    /// completion source and its task.
    /// </summary>
    private sealed class PendingIncrement(UsageIncrement increment, UsageIncrement[]? parts) : IValueTaskSource<UsageWriteStatus>
    {
        private ManualResetValueTaskSourceCore<UsageWriteStatus> _completion = new() { RunContinuationsAsynchronously = true };
        private int _completed;

        /// <summary>
        /// Gets what the caller awaits, once, by the meter. The source is never reset, so it must never be pooled: a
        /// second await of a reused source would read another increment's status.
        /// </summary>
        public ValueTask<UsageWriteStatus> Completion => new(this, _completion.Version);

        public UsageIncrement Increment { get; } = increment;

        /// <summary>Gets the parts of a multi-meter call, or <see langword="null"/> for an increment on its own.</summary>
        public UsageIncrement[]? Parts { get; } = parts;

        public int Size => Parts?.Length ?? 1;

        /// <summary>Completes the increment with its status, unless it completed already.</summary>
        public void TrySetResult(UsageWriteStatus status)
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _completion.SetResult(status);
            }
        }

        /// <summary>Fails the increment, unless it completed already.</summary>
        public void TrySetException(Exception exception)
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _completion.SetException(exception);
            }
        }

        UsageWriteStatus IValueTaskSource<UsageWriteStatus>.GetResult(short token) => _completion.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<UsageWriteStatus>.GetStatus(short token) => _completion.GetStatus(token);

        void IValueTaskSource<UsageWriteStatus>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _completion.OnCompleted(continuation, state, token, flags);
    }
}
