using System.Reflection;
using System.Runtime.CompilerServices;

namespace Gravity.Usage.Tests;

/// <summary>
/// The core shows its internals to test assemblies only: every shipped package (the PostgreSQL store, the Testing
/// package's contract suite, the ASP.NET Core package, the tool) is built on the public API, as a third party's
/// provider would be.
/// </summary>
public sealed class InternalsVisibilityConventionTests
{
    private static readonly string[] s_shippedPackages =
    [
        "Gravity.Usage.PostgreSql",
        "Gravity.Usage.Testing",
        "Gravity.Usage.AspNetCore",
        "gravity-usage",
    ];

    private static IEnumerable<string> GrantedByCore() =>
        typeof(UsageMeter).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName.Split(',')[0].Trim());

    [Test]
    public void Core_InternalsVisibleTo_NamesNoShippedPackage()
    {
        Assert.That(GrantedByCore().Intersect(s_shippedPackages, StringComparer.Ordinal), Is.Empty);
    }

    [Test]
    public void Core_InternalsVisibleTo_NamesOnlyTestAssemblies()
    {
        var notTests = GrantedByCore().Where(name =>
            !name.EndsWith(".Tests", StringComparison.Ordinal)
            && !name.EndsWith(".IntegrationTests", StringComparison.Ordinal)
            && name is not "Gravity.Usage.Benchmarks" and not "DynamicProxyGenAssembly2");

        Assert.That(notTests, Is.Empty);
    }
}
