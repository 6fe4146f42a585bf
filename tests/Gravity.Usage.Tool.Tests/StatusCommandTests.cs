using System.Text.Json;

namespace Gravity.Usage.Tool.Tests;

public sealed class StatusCommandTests(string provider) : ToolTest(provider)
{
    [Test]
    public async Task Status_CountsEveryStatus_AndExits3WhenTheOutboxNeedsAttention()
    {
        await SeedAsync();

        var run = await RunAsync("status");

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(run.Out, Does.Match(@"(?m)^pending\s+1$"));
            Assert.That(run.Out, Does.Match(@"(?m)^sent\s+1$"));
            Assert.That(run.Out, Does.Match(@"(?m)^failed\s+1$"));
            Assert.That(run.Out, Does.Match(@"(?m)^unknown\s+1$"));
            Assert.That(run.Out, Does.Match(@"(?m)^skipped\s+1$"));
            Assert.That(run.Out, Does.Match(@"(?m)^oldest pending\s+3h 0m"));
            Assert.That(run.Out, Does.Contain("needs attention"));
        });
    }

    [Test]
    public async Task Status_Json_ForScripts()
    {
        await SeedAsync();

        var run = await RunAsync("status", "--json");

        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(3));
            Assert.That(root.GetProperty("pending").GetInt64(), Is.EqualTo(1));
            Assert.That(root.GetProperty("sent").GetInt64(), Is.EqualTo(1));
            Assert.That(root.GetProperty("failed").GetInt64(), Is.EqualTo(1));
            Assert.That(root.GetProperty("unknown").GetInt64(), Is.EqualTo(1));
            Assert.That(root.GetProperty("skipped").GetInt64(), Is.EqualTo(1));
            Assert.That(root.GetProperty("oldestPendingAgeSeconds").GetInt64(), Is.EqualTo(3 * 3600));
            Assert.That(root.GetProperty("healthy").GetBoolean(), Is.False);
            Assert.That(root.GetProperty("problems").GetArrayLength(), Is.EqualTo(3), "failed, unknown, and pending for 3 h > 2 h");
        });
    }

    [Test]
    public async Task Status_HealthyOutbox_Exits0()
    {
        await SeedAsync(healthy: true);

        var run = await RunAsync("status");

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Match(@"(?m)^status\s+healthy$"));
        });
    }

    [Test]
    public async Task Status_EmptyLedger_IsHealthy()
    {
        var run = await RunAsync("status", "--json");

        using var json = JsonDocument.Parse(run.Out);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(json.RootElement.GetProperty("oldestPendingCreatedAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    [Test]
    public async Task Status_MaxPendingAge_DecidesWhenAPendingReportIsTooOld()
    {
        var reports = await SeedAsync();
        await RunAsync("redrive", "--id", reports["acct_failed"].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await RunAsync("redrive", "--id", reports["acct_unknown"].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var tolerant = await RunAsync("status", "--max-pending-age", "04:00:00");
        var strict = await RunAsync("status", "--max-pending-age", "02:59:00");

        Assert.Multiple(() =>
        {
            Assert.That(tolerant.ExitCode, Is.EqualTo(0), tolerant.ToString());
            Assert.That(strict.ExitCode, Is.EqualTo(3), strict.ToString());
        });
    }
}
