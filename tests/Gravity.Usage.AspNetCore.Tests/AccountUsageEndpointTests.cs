using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gravity.Usage.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary><c>MapAccountUsage</c>: one account's usage as JSON, only for callers the host's policy admits.</summary>
public sealed class AccountUsageEndpointTests : WebhookTest
{
    private const string Policy = "usage-dashboard";

    [Test]
    public async Task MapAccountUsage_AuthorizedCaller_GetsTheAccountsUsage()
    {
        var app = await StartDashboardAsync();
        await IncrementAsync(app, "acct_1", 5);
        var now = TimeProvider.System.GetUtcNow();

        using var response = await GetAsync(app, $"/usage/acct_1?from={Uri.EscapeDataString(now.AddDays(-1).ToString("O"))}&to={Uri.EscapeDataString(now.AddDays(1).ToString("O"))}", "admin");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ReadAsync(response));
        using var body = JsonDocument.Parse(await ReadAsync(response));
        var meter = body.RootElement.GetProperty("meters")[0];
        Assert.Multiple(() =>
        {
            Assert.That(body.RootElement.GetProperty("account").GetString(), Is.EqualTo("acct_1"));
            Assert.That(meter.GetProperty("meter").GetString(), Is.EqualTo(ApiCalls));
            Assert.That(meter.GetProperty("quantity").GetInt64(), Is.EqualTo(5));
            Assert.That(meter.GetProperty("pendingQuantity").GetInt64(), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task MapAccountUsage_CallerOutsideThePolicy_IsRefused()
    {
        var app = await StartDashboardAsync();
        await IncrementAsync(app, "acct_1", 5);

        using var anonymous = await GetAsync(app, "/usage/acct_1", role: null);
        using var customer = await GetAsync(app, "/usage/acct_1", role: "customer");

        Assert.Multiple(async () =>
        {
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await ReadAsync(customer), Does.Not.Contain("quantity"));
        });
    }

    [Test]
    public async Task MapAccountUsage_BadPeriod_Is400()
    {
        var app = await StartDashboardAsync();

        using var response = await GetAsync(app, "/usage/acct_1?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "admin");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task MapAccountUsage_AccountTheLibraryRefuses_Is400ProblemDetails()
    {
        var app = await StartDashboardAsync();

        using var response = await GetAsync(app, "/usage/" + Uri.EscapeDataString("\u200B"), "admin");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadAsync(response), Does.Contain("account"));
    }

    [Test]
    public void MapAccountUsage_WithoutAPolicy_Throws()
    {
        Assert.ThrowsAsync<ArgumentException>(() => StartHostAsync(configureApp: app => app.MapAccountUsage("/usage/{account}", " ")));
    }

    [Test]
    public void MapAccountUsage_WithoutAnAccountParameter_Throws()
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(() => StartHostAsync(configureApp: app => app.MapAccountUsage("/usage", Policy)));

        Assert.That(ex!.ParamName, Is.EqualTo("pattern"));
    }

    private Task<Microsoft.AspNetCore.Builder.WebApplication> StartDashboardAsync() => StartHostAsync(
        configureServices: s =>
        {
            s.AddAuthentication(RoleHeaderHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, RoleHeaderHandler>(RoleHeaderHandler.SchemeName, null);
            s.AddAuthorization(o => o.AddPolicy(Policy, p => p.RequireRole("admin")));
        },
        configureApp: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapAccountUsage("/usage/{account}", Policy);
        });

    private static async Task<HttpResponseMessage> GetAsync(Microsoft.AspNetCore.Builder.WebApplication app, string path, string? role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (role is not null)
        {
            request.Headers.Add(RoleHeaderHandler.Header, role);
        }

        return await app.GetTestClient().SendAsync(request);
    }

    /// <summary>Test authentication: the role comes from a header; no header, no identity.</summary>
    private sealed class RoleHeaderHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "role-header";
        public const string Header = "X-Test-Role";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(Header, out var role))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "tester"), new Claim(ClaimTypes.Role, role.ToString())], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
