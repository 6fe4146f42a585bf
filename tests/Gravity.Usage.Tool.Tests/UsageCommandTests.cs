using System.Text.Json;

namespace Gravity.Usage.Tool.Tests;

public sealed class UsageCommandTests(string provider) : ToolTest(provider)
{
    [Test]
    public async Task Usage_ShowsTheAccountsTotalsPerMeter_ReportedAndNot()
    {
        await SeedAsync();

        var run = await RunAsync("usage", "--account", "acct_sent", "--json");

        using var json = JsonDocument.Parse(run.Out);
        var meter = json.RootElement.GetProperty("meters")[0];
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(json.RootElement.GetProperty("from").GetDateTimeOffset(), Is.EqualTo(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)), "this UTC month by default");
            Assert.That(meter.GetProperty("meter").GetString(), Is.EqualTo(Usage));
            Assert.That(meter.GetProperty("quantity").GetInt64(), Is.EqualTo(12));
            Assert.That(meter.GetProperty("kind").GetString(), Is.EqualTo("Sum"));
            Assert.That(meter.GetProperty("sentQuantity").GetInt64(), Is.EqualTo(5));
            Assert.That(meter.GetProperty("pendingQuantity").GetInt64(), Is.EqualTo(7), "in a bucket not closed yet");
            Assert.That(meter.GetProperty("skippedQuantity").GetInt64() + meter.GetProperty("failedQuantity").GetInt64(), Is.Zero);
        });
    }

    [Test]
    public async Task Usage_FromAndTo_BoundThePeriod()
    {
        await SeedAsync();

        var run = await RunAsync("usage", "--account", "acct_sent", "--from", "2026-11-02T11:00:00Z", "--to", "2026-11-02T12:00:00Z");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Match(@"(?m)^usage\s+Sum\s+7\s+0\s+7\s+0\s+0$"));
        });
    }

    [Test]
    public async Task Usage_PeriodEndingBeforeItStarts_IsAUsageError()
    {
        var run = await RunAsync("usage", "--account", "acct_sent", "--from", "2026-11-02T12:00:00Z", "--to", "2026-11-02T11:00:00Z");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }

    [Test]
    public async Task Usage_AccountTheLibraryRefuses_IsAUsageErrorNamingIt()
    {
        var run = await RunAsync("usage", "--account", "bad\u0001account");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
            Assert.That(run.Error, Does.Contain("account"));
        });
    }

    [Test]
    public async Task Usage_WithoutAnAccount_IsAUsageError()
    {
        var run = await RunAsync("usage");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }
}
