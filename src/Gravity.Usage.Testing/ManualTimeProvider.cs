namespace Gravity.Usage.Testing;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock only moves when told to: <see cref="Advance"/> or <see cref="SetUtcNow"/>.
/// Thread-safe. Timers created from it (<c>Task.Delay(delay, provider)</c>, <c>PeriodicTimer</c>,
/// <c>CancellationTokenSource(delay, provider)</c>) fire when the clock is moved past their due time, in due order, on
/// the thread that moves it, with the clock reading their due time. Moves are serialized: concurrent
/// <see cref="Advance"/> calls add up, and a move waits while another one runs its timer callbacks (a callback may
/// itself move the clock).
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();

    // Serializes Advance/SetUtcNow (re-entrant, so a timer callback may move the clock), so concurrent moves add up.
    private readonly Lock _moveLock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _utcNow;

    /// <summary>Creates a clock that reads <paramref name="start"/> until it is moved.</summary>
    /// <param name="start">The initial instant; converted to UTC.</param>
    public ManualTimeProvider(DateTimeOffset start)
    {
        _utcNow = start.ToUniversalTime();
    }

    /// <summary>Always UTC, so local and UTC readings agree.</summary>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Timestamps are ticks of the manual clock: 10,000,000 per second.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Reads the clock.</summary>
    /// <returns>The current instant of this clock, in UTC.</returns>
    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _utcNow;
        }
    }

    /// <summary>Reads the clock as a timestamp, so elapsed-time measurements follow the manual clock.</summary>
    /// <returns>The UTC ticks of the current instant.</returns>
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Moves the clock forward and fires every timer that falls due on the way, in due order.</summary>
    /// <param name="delta">How far to move; zero fires timers that are already due.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is negative.</exception>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        lock (_moveLock)
        {
            MoveTo(GetUtcNow() + delta);
        }
    }

    /// <summary>
    /// Sets the clock. Moving forward fires every timer that falls due on the way; moving backward fires nothing and
    /// leaves timers due at their original instants.
    /// </summary>
    /// <param name="value">The new instant; converted to UTC.</param>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_moveLock)
        {
            MoveTo(value.ToUniversalTime());
        }
    }

    /// <summary>Creates a timer driven by this clock.</summary>
    /// <param name="callback">Invoked when the timer fires.</param>
    /// <param name="state">Passed to <paramref name="callback"/>.</param>
    /// <param name="dueTime">Delay before the first firing; <see cref="Timeout.InfiniteTimeSpan"/> leaves it unarmed.</param>
    /// <param name="period">Interval between firings; zero or <see cref="Timeout.InfiniteTimeSpan"/> fires once.</param>
    /// <returns>The timer.</returns>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    // Called under _moveLock.
    private void MoveTo(DateTimeOffset target)
    {
        lock (_lock)
        {
            if (target <= _utcNow)
            {
                _utcNow = target;
            }
        }

        // Fire due timers one at a time, outside the lock, advancing the clock to each due instant on the way.
        while (true)
        {
            ManualTimer? next = null;
            lock (_lock)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueAt is { } due && due <= target && (next is null || due < next.DueAt))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    if (target > _utcNow)
                    {
                        _utcNow = target;
                    }

                    return;
                }

                if (next.DueAt!.Value > _utcNow)
                {
                    _utcNow = next.DueAt.Value;
                }

                next.Rearm();
            }

            next.Invoke();
        }
    }

    private void Arm(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        var fireNow = false;
        lock (_lock)
        {
            _timers.Remove(timer);
            timer.Period = period > TimeSpan.Zero ? period : null;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                timer.DueAt = null;
                return;
            }

            timer.DueAt = _utcNow + dueTime;
            _timers.Add(timer);
            if (dueTime == TimeSpan.Zero)
            {
                timer.Rearm();
                fireNow = true;
            }
        }

        if (fireNow)
        {
            // Never call back from inside CreateTimer/Change: the caller may not have stored the timer yet.
            ThreadPool.UnsafeQueueUserWorkItem(static t => t.Invoke(), timer, preferLocal: false);
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_lock)
        {
            timer.DueAt = null;
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateSpan(dueTime, nameof(dueTime));
            ValidateSpan(period, nameof(period));
            if (Volatile.Read(ref _disposed))
            {
                return false;
            }

            owner.Arm(this, dueTime, period);
            return true;
        }

        // Called under the owner's lock when the timer fires: schedules the next period or disarms it.
        public void Rearm()
        {
            if (Period is { } period && DueAt is { } due)
            {
                DueAt = due + period;
            }
            else
            {
                DueAt = null;
                owner._timers.Remove(this);
            }
        }

        public void Invoke()
        {
            if (!Volatile.Read(ref _disposed))
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            Volatile.Write(ref _disposed, true);
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private static void ValidateSpan(TimeSpan value, string name)
        {
            if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or Timeout.InfiniteTimeSpan.");
            }
        }
    }
}
