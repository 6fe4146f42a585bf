using Gravity.Usage.Sqlite;

namespace Gravity.Usage.Tests.Sql;

public sealed class InstallScriptTests
{
    [Test]
    public void GetInstallScript_WithPrefix_NamesEveryTableWithThePrefix()
    {
        var script = SqliteUsageStore.GetInstallScript("tenant_");

        Assert.Multiple(() =>
        {
            Assert.That(script, Does.Contain("CREATE TABLE IF NOT EXISTS tenant_usage_counter"));
            Assert.That(script, Does.Contain("CREATE TABLE IF NOT EXISTS tenant_usage_idempotency_key"));
            Assert.That(script, Does.Contain("CREATE TABLE IF NOT EXISTS tenant_usage_schema_version"));
            Assert.That(script, Does.Not.Contain("{prefix}"));
            Assert.That(script, Does.Contain("VALUES (" + SqliteUsageStore.SchemaVersion + ","));
        });
    }

    [Test]
    public void GetInstallScript_UnsafePrefix_ThrowsNamingThePrefix()
    {
        var ex = Assert.Throws<ArgumentException>(() => SqliteUsageStore.GetInstallScript("x; DROP TABLE usage_counter"));
        Assert.That(ex!.ParamName, Is.EqualTo("tablePrefix"));
    }

    [Test]
    public void SchemaVersion_OfTheSqliteStore_MatchesTheNumberOfEmbeddedScripts()
    {
        Assert.That(SqliteUsageStore.SchemaVersion, Is.EqualTo(SqliteSchema.Scripts.Count).And.GreaterThanOrEqualTo(1));
        Assert.That(SqliteSchema.Scripts.Select(s => s.Version), Is.Ordered.And.Unique);
    }
}
