using System.Globalization;
using System.Text.Json;

namespace Gravity.Usage.Tool.Tests;

public sealed class RedriveCommandTests(string provider) : ToolTest(provider)
{
    [Test]
    public async Task Redrive_ById_MakesThatReportPending()
    {
        var reports = await SeedAsync();

        var run = await RunAsync("redrive", "--id", reports["acct_unknown"].Id.ToString(CultureInfo.InvariantCulture), "--json");

        using var json = JsonDocument.Parse(run.Out);
        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(json.RootElement.GetProperty("redriven").GetInt32(), Is.EqualTo(1));
            Assert.That(await StatusOfAsync(reports["acct_unknown"].Id), Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(await StatusOfAsync(reports["acct_failed"].Id), Is.EqualTo(UsageReportStatus.Failed));
        });
    }

    [Test]
    public async Task Redrive_All_TouchesFailedReportsOnly()
    {
        var reports = await SeedAsync();

        var run = await RunAsync("redrive", "--all");

        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Contain("Re-drove 1 report"));
            Assert.That(await StatusOfAsync(reports["acct_failed"].Id), Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(await StatusOfAsync(reports["acct_unknown"].Id), Is.EqualTo(UsageReportStatus.Unknown), "unknown reports only when asked for");
            Assert.That(await StatusOfAsync(reports["acct_sent"].Id), Is.EqualTo(UsageReportStatus.Sent));
        });
    }

    [Test]
    public async Task Redrive_StatusUnknown_WarnsAndRedrivesThem()
    {
        var reports = await SeedAsync();

        var run = await RunAsync("redrive", "--status", "unknown");

        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Error, Does.Contain("reconciliation"));
            Assert.That(await StatusOfAsync(reports["acct_unknown"].Id), Is.EqualTo(UsageReportStatus.Pending));
            Assert.That(await StatusOfAsync(reports["acct_failed"].Id), Is.EqualTo(UsageReportStatus.Failed));
        });
    }

    [Test]
    public async Task Redrive_ByAccount_TouchesThatAccountOnly()
    {
        var reports = await SeedAsync();

        var other = await RunAsync("redrive", "--account", "acct_unknown");
        var mine = await RunAsync("redrive", "--account", "acct_failed");

        Assert.Multiple(async () =>
        {
            Assert.That(other.Out, Does.Contain("Re-drove 0 report"), "an account's unknown reports stay parked");
            Assert.That(mine.Out, Does.Contain("Re-drove 1 report"));
            Assert.That(await StatusOfAsync(reports["acct_failed"].Id), Is.EqualTo(UsageReportStatus.Pending));
        });
    }

    [Test]
    public async Task Redrive_WithoutAFilter_IsAUsageError_AndChangesNothing()
    {
        var reports = await SeedAsync();

        var run = await RunAsync("redrive");

        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Error, Does.Contain("--all"));
            Assert.That(await StatusOfAsync(reports["acct_failed"].Id), Is.EqualTo(UsageReportStatus.Failed));
        });
    }

    [TestCase("sent")]
    [TestCase("pending")]
    [TestCase("skipped")]
    public async Task Redrive_OfAStatusThatCannotBeRedriven_IsAUsageError(string status)
    {
        await SeedAsync();

        var run = await RunAsync("redrive", "--status", status);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }
}
