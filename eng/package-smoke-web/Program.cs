// The package smoke test's web app (eng/package-smoke.sh): replaces the Program.cs of a fresh `dotnet new web` project
// that installed the packed Gravity.Usage and Gravity.Usage.AspNetCore packages. An endpoint meters API calls; the
// script calls it with bad and good input and expects 400 problem details naming the parameter and the rule, then 200.
// A second endpoint checks its input with UsageInput before metering and throws the error the meter would throw.
using Gravity.Usage;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

// The ledger file comes from the command line (--ledger <path>), so the smoke test keeps it in its own directory.
var ledger = builder.Configuration["ledger"] ?? Path.Combine(builder.Environment.ContentRootPath, "usage.db");
builder.Services.AddUsageBilling(usage => usage
    .UseSqlite($"Data Source={ledger}")
    .AddMeter("api_calls"));
builder.Services.AddUsageProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();

app.MapPost("/calls", async (string? account, long quantity, IUsageMeter meter) =>
{
    var outcome = await meter.IncrementAsync(account ?? string.Empty, quantity, "api_calls");
    return Results.Ok(new { outcome = outcome.ToString() });
});

app.MapPost("/checked-calls", async (string? account, long quantity, IOptions<UsageBillingOptions> usage, IUsageMeter meter) =>
{
    if (UsageInput.CheckIncrement(usage.Value, account, quantity, "api_calls") is { } error)
    {
        throw error;
    }

    var outcome = await meter.IncrementAsync(account!, quantity, "api_calls");
    return Results.Ok(new { outcome = outcome.ToString() });
});

app.Run();
