using Gravity.Usage.AspNetCore.Errors;
using Microsoft.Extensions.Options;

namespace Gravity.Usage.AspNetCore.Tests;

/// <summary>Only argument errors thrown by Gravity.Usage's own checks count as the library's input errors.</summary>
public sealed class UsageInputErrorsTests
{
    [Test]
    public void ErrorOfTheMetersChecks_Counts()
    {
        using var meter = new UsageMeter(new Sqlite.SqliteUsageStore(new Sqlite.SqliteUsageStoreOptions { ConnectionString = "Data Source=unused.db" }), Options.Create(new UsageBillingOptions()));

        var ex = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => meter.IncrementAsync("acct_1", 0));

        Assert.That(UsageInputErrors.IsFromLibrary(ex!), Is.True);
    }

    [Test]
    public void ErrorThrownThroughTheRuntimesHelpers_InTheLibrary_Counts()
    {
        // The store checks its bucket size with ArgumentOutOfRangeException.ThrowIfLessThanOrEqual.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Sqlite.SqliteUsageStore(new Sqlite.SqliteUsageStoreOptions { ConnectionString = "Data Source=unused.db" }, bucketSize: TimeSpan.Zero));

        Assert.That(UsageInputErrors.IsFromLibrary(ex!), Is.True);
    }

    [Test]
    public void ErrorOfTheLibrarysOwnRules_Counts()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sqlite.SqliteUsageStore.GetInstallScript("bad prefix;"));

        Assert.That(UsageInputErrors.IsFromLibrary(ex!), Is.True);
    }

    [Test]
    public void HostsOwnError_DoesNotCount()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => ArgumentNullException.ThrowIfNull((object?)null, "host"));

        Assert.That(UsageInputErrors.IsFromLibrary(ex!), Is.False);
    }

    [Test]
    public void ErrorThatWasNeverThrown_DoesNotCount()
    {
        Assert.That(UsageInputErrors.IsFromLibrary(new ArgumentException("never thrown")), Is.False);
    }

    [Test]
    public void OtherExceptions_DoNotCount()
    {
        Assert.That(UsageInputErrors.IsFromLibrary(new InvalidOperationException()), Is.False);
    }
}
