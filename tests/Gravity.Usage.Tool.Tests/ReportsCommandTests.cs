using System.Text.Json;

namespace Gravity.Usage.Tool.Tests;

public sealed class ReportsCommandTests(string provider) : ToolTest(provider)
{
    [Test]
    public async Task ReportsList_NoFilter_ShowsATableOfEveryReport()
    {
        await SeedAsync();

        var run = await RunAsync("reports", "list");

        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(lines[0], Does.StartWith("ID").And.Contain("STATUS").And.Contain("LAST ERROR"));
            Assert.That(lines, Has.Length.EqualTo(6));
            Assert.That(run.Out, Does.Contain("No such customer"));
            Assert.That(run.Out, Does.Contain("2026-11-02 10:00:00Z"));
        });
    }

    [TestCase("--status", "failed", "acct_failed")]
    [TestCase("--status", "skipped", "acct_free")]
    [TestCase("--account", "acct_unknown", "acct_unknown")]
    public async Task ReportsList_WithFilters_ShowsOnlyTheMatchingReports(string option, string value, string account)
    {
        await SeedAsync();

        var run = await RunAsync("reports", "list", option, value, "--json");

        using var json = JsonDocument.Parse(run.Out);
        Assert.That(json.RootElement.EnumerateArray().Select(r => r.GetProperty("account").GetString()), Is.EqualTo(new[] { account }), run.ToString());
    }

    [Test]
    public async Task ReportsList_LimitAndAfterId_Page()
    {
        await SeedAsync();

        var first = await RunAsync("reports", "list", "--limit", "2", "--json");
        using var firstPage = JsonDocument.Parse(first.Out);
        var last = firstPage.RootElement[1].GetProperty("id").GetInt64();
        var second = await RunAsync("reports", "list", "--limit", "2", "--after-id", last.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        using var secondPage = JsonDocument.Parse(second.Out);

        Assert.Multiple(() =>
        {
            Assert.That(firstPage.RootElement.GetArrayLength(), Is.EqualTo(2));
            Assert.That(secondPage.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()), Is.All.GreaterThan(last));
            Assert.That(first.Error, Does.Contain("--after-id"), "a full page says how to get the next");
        });
    }

    [Test]
    public async Task ReportsList_Json_CarriesStatusAsAWord()
    {
        await SeedAsync();

        var run = await RunAsync("reports", "list", "--status", "unknown", "--json");

        using var json = JsonDocument.Parse(run.Out);
        Assert.That(json.RootElement[0].GetProperty("status").GetString(), Is.EqualTo("unknown"));
    }

    [TestCase("0")]
    [TestCase("10001")]
    public async Task ReportsList_LimitOutOfRange_IsAUsageError(string limit)
    {
        var run = await RunAsync("reports", "list", "--limit", limit);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
    }
}
