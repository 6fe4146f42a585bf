namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// The simulation's own bookkeeping of what the ledger must hold: every increment the library acknowledged, counted
/// once however often its key was sent; increments that faulted, counted only when the harness knows their batch
/// committed in a process that died before answering; and each account's plans over time.
/// </summary>
/// <remarks>Thread-safe: answers arrive from concurrent callers, lost batches from the group-commit loop.</remarks>
public sealed class LedgerModel(TimeProvider clock, TimeSpan bucketSize) : ICrashObserver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, LogicalIncrement> _byId = [];
    private readonly Dictionary<string, LogicalIncrement> _byKey = new(StringComparer.Ordinal);
    private readonly List<(string Account, string Meter, DateTimeOffset Bucket, long Quantity, PlanAtRecord Plan)> _lostUnkeyed = [];
    private readonly Dictionary<string, PlanTimeline> _plans = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    public void AddAccount(string account, bool billable) => _plans[account] = new PlanTimeline(clock.GetUtcNow(), billable);

    public PlanTimeline Plan(string account) => _plans[account];

    /// <summary>The logical increment of a planned one, created (and stamped with its time) when first issued.</summary>
    public LogicalIncrement Issue(PlannedIncrement plan)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(plan.Id, out var increment))
            {
                var at = clock.GetUtcNow() - plan.Backdate;
                var bucket = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % bucketSize.Ticks), TimeSpan.Zero);
                _byId[plan.Id] = increment = new LogicalIncrement(plan, at, bucket);
                if (increment.Key is { } key)
                {
                    _byKey[key] = increment;
                }
            }

            increment.Attempts++;
            return increment;
        }
    }

    public LogicalIncrement Find(int id)
    {
        lock (_lock)
        {
            return _byId[id];
        }
    }

    /// <summary>The plan usage of <paramref name="account"/> recorded now falls under; plans never change while increments are in flight.</summary>
    public PlanAtRecord PlanNow(string account)
    {
        lock (_lock)
        {
            return _plans[account].Current;
        }
    }

    public void Answered(LogicalIncrement increment, IncrementOutcome outcome, PlanAtRecord plan)
    {
        lock (_lock)
        {
            if (outcome == IncrementOutcome.Recorded)
            {
                increment.RecordedAnswers++;
                increment.RecordedUnder = plan;
            }
            else
            {
                increment.DuplicateAnswers++;
            }
        }
    }

    public void Faulted(LogicalIncrement increment, bool byLibrary)
    {
        lock (_lock)
        {
            increment.Faults++;
            if (byLibrary)
            {
                increment.LibraryFaults++;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="excess"/> units found in a counter beyond the acknowledged ones are exactly some of the
    /// unkeyed increments of that counter whose task failed with a library error (a lost COMMIT answer).
    /// </summary>
    public bool IsFailedUnkeyedSubset(string account, string meter, DateTimeOffset bucket, long excess)
    {
        List<long> candidates;
        lock (_lock)
        {
            candidates = _byId.Values
                .Where(i => i.Key is null && i.LibraryFaults > 0 && i.Account == account && i.Meter == meter && i.BucketStart == bucket)
                .Select(i => i.Plan.Quantity)
                .ToList();
        }

        var sums = new HashSet<long> { 0 };
        foreach (var quantity in candidates)
        {
            sums.UnionWith(sums.Select(s => s + quantity).ToList());
        }

        return excess > 0 && sums.Contains(excess);
    }

    /// <summary>Keyed increments never answered: their callers retry them with the same key.</summary>
    public IReadOnlyList<LogicalIncrement> Outstanding()
    {
        lock (_lock)
        {
            return _byId.Values.Where(i => i.Outstanding).OrderBy(i => i.Plan.Id).ToList();
        }
    }

    public void IncrementsCommittedButLost(IReadOnlyList<UsageIncrement> increments, IReadOnlyList<UsageWriteStatus> statuses)
    {
        lock (_lock)
        {
            for (var i = 0; i < increments.Count; i++)
            {
                var increment = increments[i];
                if (statuses[i] != UsageWriteStatus.Recorded)
                {
                    continue;
                }

                if (increment.IdempotencyKey is { } key)
                {
                    var logical = _byKey[key];
                    if (logical.CommittedInLostBatch)
                    {
                        _violations.Add($"key {key} was recorded by two lost batches");
                    }

                    logical.CommittedInLostBatch = true;
                    logical.RecordedUnder = _plans[logical.Account].Current;
                }
                else
                {
                    _lostUnkeyed.Add((increment.Account, increment.Meter, increment.BucketStart, increment.Quantity, _plans[increment.Account].Current));
                }
            }
        }
    }

    /// <summary>Gets or sets a value indicating whether a report run is racing the plan change in progress.</summary>
    public bool PlanChangeRacesReportRun { get; set; }

    public void AccountSavedButLost(UsageAccount account) => PlanSaved(account.Account, account.Billable);

    public void PlanSaved(string account, bool billable)
    {
        lock (_lock)
        {
            _plans[account].Save(clock.GetUtcNow(), billable, PlanChangeRacesReportRun);
        }
    }

    /// <summary>What every counter must hold: acknowledged increments once each, plus lost batches that committed.</summary>
    public Dictionary<(string Account, string Meter, DateTimeOffset Bucket), long> ExpectedCounters() => Expected(billedOnly: false);

    /// <summary>
    /// What every counter must have billed: the usage recorded while its account was billable, in buckets that ended
    /// after it became so. Counters where a failed attempt may have been applied are left out: their plan is unknown.
    /// </summary>
    public Dictionary<(string Account, string Meter, DateTimeOffset Bucket), long> ExpectedBilled() => Expected(billedOnly: true);

    /// <summary>
    /// Counters whose billed part the model cannot know, which the billed check leaves out: those holding an increment
    /// that raced a plan change, and (when <paramref name="withLibraryFaults"/>) one whose task failed with a library
    /// error yet may have been applied.
    /// </summary>
    public HashSet<(string Account, string Meter, DateTimeOffset Bucket)> CountersWithUnknownPlan(bool withLibraryFaults)
    {
        lock (_lock)
        {
            return _byId.Values
                .Where(i => i.RacedPlanChange || (withLibraryFaults && i.LibraryFaults > 0))
                .Select(i => (i.Account, i.Meter, i.BucketStart))
                .ToHashSet();
        }
    }

    public void MarkRacedPlanChange(LogicalIncrement increment)
    {
        lock (_lock)
        {
            increment.RacedPlanChange = true;
        }
    }

    private Dictionary<(string Account, string Meter, DateTimeOffset Bucket), long> Expected(bool billedOnly)
    {
        lock (_lock)
        {
            var expected = new Dictionary<(string, string, DateTimeOffset), long>();
            var applied = _byId.Values
                .Where(i => i.Applied)
                .Select(i => (i.Account, i.Meter, i.BucketStart, i.Plan.Quantity, Plan: i.RecordedUnder))
                .Concat(_lostUnkeyed.Select(l => (l.Account, l.Meter, l.Bucket, l.Quantity, Plan: (PlanAtRecord?)l.Plan)));
            foreach (var (account, meter, bucket, quantity, plan) in applied)
            {
                if (billedOnly && plan?.Bills(bucket + bucketSize) != true)
                {
                    continue;
                }

                var cell = (account, meter, bucket);
                expected[cell] = expected.GetValueOrDefault(cell) + quantity;
            }

            return expected;
        }
    }

    /// <summary>Per key: counted at most once, and "duplicate" only for a key that was counted.</summary>
    public IReadOnlyList<string> CheckKeys(bool strict)
    {
        var problems = new List<string>();
        lock (_lock)
        {
            foreach (var increment in _byId.Values)
            {
                var applications = increment.RecordedAnswers + (increment.CommittedInLostBatch ? 1 : 0);
                if (applications > 1)
                {
                    problems.Add($"increment {increment.Plan} ({increment.Key ?? "no key"}) was counted {applications} times ({increment.RecordedAnswers} answered Recorded, lost batch: {increment.CommittedInLostBatch})");
                }

                if (increment.DuplicateAnswers > 0 && !increment.Applied)
                {
                    problems.Add($"increment {increment.Plan} was answered Duplicate {increment.DuplicateAnswers} times but never counted");
                }

                if (strict && increment.AppliedByFailedAttempt)
                {
                    problems.Add($"increment {increment.Plan} failed with a library error ({increment.LibraryFaults} times), yet was applied: its retry was answered Duplicate");
                }

                if (increment.Outstanding)
                {
                    problems.Add($"increment {increment.Plan} was never answered after {increment.Attempts} attempts");
                }
            }
        }

        return problems;
    }

    /// <summary>How many keyed increments were applied by an attempt whose task failed (found out by a Duplicate answer on retry).</summary>
    public int CountAppliedByFailedAttempt()
    {
        lock (_lock)
        {
            return _byId.Values.Count(i => i.AppliedByFailedAttempt);
        }
    }

    public (int Increments, int Keyed, int Acknowledged, int Faulted, int LostBatchMembers) Counts()
    {
        lock (_lock)
        {
            var all = _byId.Values.ToList();
            return (all.Count, all.Count(i => i.Key is not null), all.Count(i => i.RecordedAnswers + i.DuplicateAnswers > 0), all.Sum(i => i.Faults), all.Count(i => i.CommittedInLostBatch));
        }
    }
}
