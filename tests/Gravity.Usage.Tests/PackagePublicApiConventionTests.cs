using System.Reflection;
using Gravity.Usage.AspNetCore;

namespace Gravity.Usage.Tests;

/// <summary>
/// The public API conventions of the packages beside the core (the core's own are in <see cref="PublicApiConventionTests"/>):
/// sealed or static classes, few namespaces (extension methods where ASP.NET Core looks for them), and async methods
/// that end in Async and take a cancellation token last. The operations tool exposes nothing.
/// </summary>
public sealed class PackagePublicApiConventionTests
{
    private static readonly Assembly s_aspNetCore = typeof(StripeUsageWebhookOptions).Assembly;

    private static readonly Assembly s_tool = Assembly.Load("gravity-usage");

    [Test]
    public void AspNetCore_PublicClasses_AreSealedOrStatic()
    {
        var open = s_aspNetCore.GetExportedTypes().Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract).Select(t => t.FullName);

        Assert.That(open, Is.Empty);
    }

    [Test]
    public void AspNetCore_PublicTypes_LiveInAllowedNamespaces()
    {
        var allowed = new[] { "Gravity.Usage.AspNetCore", "Microsoft.AspNetCore.Builder", "Microsoft.Extensions.DependencyInjection" };

        Assert.That(s_aspNetCore.GetExportedTypes().Select(t => t.Namespace).Distinct(), Is.SubsetOf(allowed));
    }

    [Test]
    public void AspNetCore_AsyncMethods_EndInAsyncAndTakeCancellationTokenLast()
    {
        var problems = new List<string>();
        foreach (var method in s_aspNetCore.GetExportedTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)))
        {
            if (!typeof(Task).IsAssignableFrom(method.ReturnType))
            {
                continue;
            }

            var parameters = method.GetParameters();
            if (!method.Name.EndsWith("Async", StringComparison.Ordinal)
                || parameters.Length == 0 || parameters[^1].ParameterType != typeof(CancellationToken) || !parameters[^1].HasDefaultValue)
            {
                problems.Add($"{method.DeclaringType!.Name}.{method.Name}");
            }
        }

        Assert.That(problems, Is.Empty);
    }

    [Test]
    public void AspNetCore_ExtensionMethods_AreWhereHostsLookForThem()
    {
        var extensions = s_aspNetCore.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute), false))
            .Select(m => $"{m.DeclaringType!.Namespace}: {m.Name}")
            .Distinct();

        Assert.That(extensions, Is.EquivalentTo(new[]
        {
            "Microsoft.Extensions.DependencyInjection: AddStripeUsageWebhook",
            "Microsoft.Extensions.DependencyInjection: AddUsageProblemDetails",
            "Microsoft.AspNetCore.Builder: MapStripeUsageWebhook",
            "Microsoft.AspNetCore.Builder: MapAccountUsage",
        }));
    }

    [Test]
    public void Tool_PublicTypes_AreNone()
    {
        Assert.That(s_tool.GetExportedTypes().Select(t => t.FullName), Is.Empty);
    }
}
