using System.Globalization;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// One increment the schedule asks for. Entries with the same <see cref="Id"/> are the same logical increment sent
/// again with the same idempotency key (a caller's retry), so it must count once.
/// </summary>
/// <param name="Id">The logical increment; its key is <c>k{Id}</c> when <paramref name="Keyed"/>.</param>
/// <param name="Account">The account's index.</param>
/// <param name="Meter">The meter's index.</param>
/// <param name="Quantity">The quantity.</param>
/// <param name="Keyed">Whether it carries an idempotency key.</param>
/// <param name="Backdate">How far before "now" the usage happened: late usage when positive.</param>
public sealed record PlannedIncrement(int Id, int Account, int Meter, long Quantity, bool Keyed, TimeSpan Backdate)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"#{Id}{(Keyed ? "k" : string.Empty)} a{Account}/m{Meter} +{Quantity}{(Backdate > TimeSpan.Zero ? $" late {Backdate.TotalMinutes:0}m" : string.Empty)}");
}

/// <summary>A step of a simulation schedule; steps run one after another, each possibly with concurrency inside.</summary>
public abstract record SimStep;

/// <summary>Increments issued concurrently (they are group-committed together), plus the retries of any outstanding keys.</summary>
public sealed record IncrementStep(IReadOnlyList<PlannedIncrement> Increments) : SimStep
{
    public override string ToString() => $"increment [{string.Join(", ", Increments)}]";
}

/// <summary>Earlier keyed increments sent again with their keys: each must be recognised as a duplicate, or counted if it never was.</summary>
public sealed record ResendStep(IReadOnlyList<int> Ids) : SimStep
{
    public override string ToString() => $"resend keys [{string.Join(", ", Ids.Select(i => "#" + i.ToString(CultureInfo.InvariantCulture)))}]";
}

/// <summary>The shared clock moves on.</summary>
public sealed record AdvanceStep(TimeSpan By) : SimStep
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"advance {By.TotalMinutes:0}m");
}

/// <summary>
/// An account changes plan through <c>SaveAccountAsync</c>, possibly while a report run closes its usage and while
/// increments arrive (which may then fall under either plan).
/// </summary>
public sealed record PlanChangeStep(int Account, bool Billable, bool WithReportRun, IReadOnlyList<PlannedIncrement> Concurrent) : SimStep
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"plan a{Account} -> {(Billable ? "billable" : "free")}{(WithReportRun ? " during a report run" : string.Empty)}{(Concurrent.Count > 0 ? $" with [{string.Join(", ", Concurrent)}]" : string.Empty)}");
}

/// <summary>
/// Report runs at once (on PostgreSQL spread over two processes), one of them possibly an account flush
/// (<c>ReportAccountAsync</c>, open bucket included), while the increments given arrive concurrently.
/// </summary>
public sealed record ReportStep(int Runs, int? FlushAccount, IReadOnlyList<PlannedIncrement> Concurrent) : SimStep
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"report x{Runs}{(FlushAccount is { } a ? $" (flush a{a})" : string.Empty)}{(Concurrent.Count > 0 ? $" with [{string.Join(", ", Concurrent)}]" : string.Empty)}");
}

/// <summary>Arms a crash in one process (on PostgreSQL either of the two), to strike after it passed the point <paramref name="PassesFirst"/> times.</summary>
public sealed record CrashStep(int Process, CrashPoint Point, int PassesFirst) : SimStep
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"arm crash p{Process} {Point} after {PassesFirst}");
}

/// <summary>Arms the PostgreSQL proxy to drop a connection around a COMMIT (of any process), after <paramref name="PassesFirst"/> commits.</summary>
public sealed record CommitDropStep(bool AfterCommit, int PassesFirst) : SimStep
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"arm connection drop {(AfterCommit ? "after" : "before")} COMMIT after {PassesFirst}");
}

/// <summary>
/// Two report runs race for the same reports across a lease expiry: Stripe answers the first run's requests slowly,
/// and while it waits the clock moves past the lease, so the second run claims the same reports again.
/// </summary>
public sealed record LeaseRaceStep(int SlowMilliseconds) : SimStep
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"lease race (Stripe answers {SlowMilliseconds} ms slowly)");
}
