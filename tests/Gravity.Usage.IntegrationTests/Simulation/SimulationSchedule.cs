using System.Globalization;
using System.Text;
using Gravity.Usage.Testing;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>Which real ledger a seed runs on.</summary>
public enum SimBackend
{
    Sqlite,
    PostgreSql,
}

/// <summary>One kind of Stripe fault a seed injects on meter events, with its probability per request.</summary>
/// <param name="Label">How the fault is counted in the summary, e.g. <c>stripe 503 after processing</c>.</param>
public sealed record StripeFaultPlan(string Label, StripeFault Fault, FaultTiming Timing, double Probability)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Label} p={Probability:0.00}");
}

/// <summary>
/// Everything a seed does, derived from the seed alone (<see cref="ScheduleGenerator"/>): the ledger, the Stripe
/// transport and faults, the accounts and their first plans, and the steps. Printing it describes a failing seed.
/// </summary>
public sealed record SimulationSchedule(
    int Seed,
    SimBackend Backend,
    bool Loopback,
    int Accounts,
    int Meters,
    IReadOnlyList<bool> InitiallyBillable,
    int MaxNetworkRetries,
    IReadOnlyList<StripeFaultPlan> StripeFaults,
    IReadOnlyList<SimStep> Steps)
{
    public static readonly string[] MeterNames = ["api_calls", "tokens"];

    public static string AccountName(int index) => "acct_" + index.ToString(CultureInfo.InvariantCulture);

    public static string CustomerId(int index) => "cus_sim_" + index.ToString(CultureInfo.InvariantCulture);

    public static string EventName(string meter) => "sim_" + meter;

    /// <summary>Two processes share the ledger on PostgreSQL (several app instances); SQLite serves one process.</summary>
    public int Processes => Backend == SimBackend.PostgreSql ? 2 : 1;

    /// <summary>A one-line header: what the seed runs on and with which faults.</summary>
    public string Header => string.Create(
        CultureInfo.InvariantCulture,
        $"seed {Seed}: {Backend}, Stripe {(Loopback ? "over loopback HTTP" : "in process")}, {Accounts} accounts ({string.Join("/", InitiallyBillable.Select(b => b ? "billable" : "free"))}), {Meters} meters, MaxNetworkRetries {MaxNetworkRetries}, Stripe faults: {(StripeFaults.Count == 0 ? "none" : string.Join("; ", StripeFaults))}");

    /// <summary>The header and every step, one per line.</summary>
    public string Describe()
    {
        var text = new StringBuilder(Header).AppendLine();
        for (var i = 0; i < Steps.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {i,3}: {Steps[i]}").AppendLine();
        }

        return text.ToString();
    }
}
