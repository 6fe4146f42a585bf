using Gravity.Usage.Sqlite;

namespace Gravity.Usage.Tests.Validation;

public sealed class SqliteUsageStoreOptionsValidatorTests
{
    private readonly SqliteUsageStoreOptionsValidator _validator = new();

    [TestCase("")]
    [TestCase("pfx_")]
    [TestCase("_Tenant42_")]
    public void Validate_SafePrefix_Succeeds(string prefix)
    {
        var options = new SqliteUsageStoreOptions { ConnectionString = "Data Source=usage.db", TablePrefix = prefix };
        Assert.That(_validator.Validate(null, options).Succeeded, Is.True);
    }

    [TestCase("x; drop")]
    [TestCase("1abc")]
    [TestCase("a-b")]
    [TestCase("usage\"")]
    [TestCase("ü_")]
    public void Validate_UnsafePrefix_FailsNamingTablePrefix(string prefix)
    {
        var options = new SqliteUsageStoreOptions { ConnectionString = "Data Source=usage.db", TablePrefix = prefix };
        Assert.That(_validator.Validate(null, options).Failures, Has.One.Contains("TablePrefix"));
    }

    [TestCase("Data Source=:memory:")]
    [TestCase("Data Source=usage;Mode=Memory")]
    [TestCase("Data Source=usage.db;Mode=ReadOnly")]
    [TestCase("")]
    [TestCase("Flavour=Vanilla")]
    public void Validate_ConnectionThatCannotKeepUsage_Fails(string connectionString)
    {
        var options = new SqliteUsageStoreOptions { ConnectionString = connectionString };
        Assert.That(_validator.Validate(null, options).Failures, Has.One.Contains("ConnectionString"));
    }

    [Test]
    public void Validate_EverythingWrong_ListsEveryFailure()
    {
        var options = new SqliteUsageStoreOptions { ConnectionString = "Data Source=:memory:", TablePrefix = "a b", BusyTimeout = TimeSpan.Zero };
        Assert.That(_validator.Validate(null, options).Failures, Has.Exactly(3).Items);
    }
}
