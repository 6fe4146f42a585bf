using System.Net;
using System.Text.Json;
using Gravity.Usage.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>
/// <c>AddUsageProblemDetails()</c>: the library's input errors become 400 problem details naming the parameter, a
/// reused idempotency key 409, an unknown commit outcome 503; the host's own exceptions are left alone.
/// </summary>
public sealed class ProblemDetailsTests : WebhookTest
{
    [TestCase("/increment?account=&quantity=1", "account", "An account must be 1 to 200 characters")]
    [TestCase("/increment?quantity=1", "account", "An account must be 1 to 200 characters")]
    [TestCase("/increment?account=acct_1&quantity=0", "quantity", "A quantity must be at least 1")]
    [TestCase("/increment?account=acct_1&quantity=1&meter=no_such_meter", "meter", "'no_such_meter' is not a declared meter")]
    [TestCase("/increment?account=acct_1&quantity=1&minutesAhead=10", "timestamp", "at most 5 minutes ahead of the clock")]
    [TestCase("/read?account=acct_1&reversed=true", "periodEnd", "must not lie before its start")]
    [TestCase("/checked?account=%E2%80%8B", "account", "An account must be 1 to 200 characters")]
    public async Task AddUsageProblemDetails_UsageInputException_Is400WithTheParameterAndTheRule(string path, string parameter, string rule)
    {
        var app = await StartHostAsync(configureServices: s => s.AddUsageProblemDetails(), configureApp: MapHostEndpoints);

        using var response = await app.GetTestClientAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await ReadAsync(response));
        using var problem = JsonDocument.Parse(await ReadAsync(response));
        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo(400));
            Assert.That(problem.RootElement.GetProperty("parameter").GetString(), Is.EqualTo(parameter));
            Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain(rule).And.Not.Contain("(Parameter"));
        });
    }

    [Test]
    public async Task AddUsageProblemDetails_InputRefused_StoresNothing()
    {
        var app = await StartHostAsync(configureServices: s => s.AddUsageProblemDetails(), configureApp: MapHostEndpoints);

        using (await app.GetTestClientAsync("/increment?account=acct_1&quantity=0"))
        {
        }

        Assert.That((await LedgerAsync(app, "acct_1")).Quantity, Is.Zero);
    }

    [Test]
    public async Task AddUsageProblemDetails_HostsOwnArgumentException_Is500()
    {
        var app = await StartHostAsync(configureServices: s => s.AddUsageProblemDetails(), configureApp: MapHostEndpoints);

        using var response = await app.GetTestClientAsync("/host-bug");

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(await ReadAsync(response), Does.Not.Contain("orderId"));
        });
    }

    [Test]
    public async Task AddUsageProblemDetails_HostsArgumentOutOfRangeException_Is500()
    {
        var app = await StartHostAsync(configureServices: s => s.AddUsageProblemDetails(), configureApp: MapHostEndpoints);

        using var response = await app.GetTestClientAsync("/host-helper");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
    }

    [Test]
    public async Task AddUsageProblemDetails_CommitOutcomeUnknown_Is503()
    {
        var app = await StartHostAsync(configureServices: s => s.AddUsageProblemDetails(), configureApp: MapHostEndpoints);

        using var response = await app.GetTestClientAsync("/unknown-outcome");

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(await ReadAsync(response), Does.Contain("idempotency key"));
        });
    }

    [Test]
    public async Task AddUsageProblemDetails_IdempotencyKeyReusedForOtherUsage_Is409WithoutTheKey()
    {
        var app = await StartHostAsync(configureServices: s => s.AddUsageProblemDetails(), configureApp: MapHostEndpoints);

        using var first = await app.GetTestClientAsync("/increment?account=acct_1&quantity=5&key=req-secret-7");
        using var retry = await app.GetTestClientAsync("/increment?account=acct_1&quantity=5&key=req-secret-7");
        using var conflict = await app.GetTestClientAsync("/increment?account=acct_1&quantity=6&key=req-secret-7");

        var body = await ReadAsync(conflict);
        using var problem = JsonDocument.Parse(body);
        Assert.Multiple(async () =>
        {
            Assert.That((first.StatusCode, retry.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
            Assert.That(conflict.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), body);
            Assert.That(conflict.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem.RootElement.GetProperty("parameter").GetString(), Is.EqualTo("idempotencyKey"));
            Assert.That(body, Does.Not.Contain("req-secret-7"));
            Assert.That((await LedgerAsync(app, "acct_1")).Quantity, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task AddProblemDetailsOnly_UsageInputException_Is500()
    {
        var app = await StartHostAsync(configureServices: s => s.AddProblemDetails(), configureApp: MapHostEndpoints);

        using var response = await app.GetTestClientAsync("/increment?account=&quantity=1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
    }

    private static IResult HostCheck(string? orderId) => throw new ArgumentException("Bad order id.", nameof(orderId));

    private static void MapHostEndpoints(WebApplication app)
    {
        app.UseExceptionHandler();
        app.MapGet("/increment", async (string? account, long quantity, string? meter, string? key, int? minutesAhead, IUsageMeter usage) =>
        {
            var timestamp = minutesAhead is { } ahead ? TimeProvider.System.GetUtcNow().AddMinutes(ahead) : (DateTimeOffset?)null;
            await usage.IncrementAsync(account!, quantity, meter ?? ApiCalls, idempotencyKey: key, timestamp: timestamp);
            return Results.Ok();
        });
        app.MapGet("/checked", IResult (string? account) => UsageInput.CheckAccount(account) is { } error ? throw error : Results.Ok());
        app.MapGet("/read", async (string account, bool reversed, IUsageMeter usage) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            return Results.Ok(reversed ? await usage.GetAsync(account, now, now.AddDays(-1)) : await usage.GetAsync(account, now.AddDays(-1), now));
        });
        app.MapGet("/host-bug", (string? orderId) => HostCheck(orderId));
        app.MapGet("/host-helper", IResult () =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(-1, "count");
            return Results.Ok();
        });
        app.MapGet("/unknown-outcome", IResult () => throw new UsageCommitOutcomeUnknownException("The connection failed during COMMIT."));
    }
}
