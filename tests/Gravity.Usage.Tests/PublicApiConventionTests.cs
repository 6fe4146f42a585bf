using System.Reflection;

namespace Gravity.Usage.Tests;

public sealed class PublicApiConventionTests
{
    private static readonly Type[] s_publicTypes = typeof(UsageMeter).Assembly.GetExportedTypes();

    [Test]
    public void Core_PublicClasses_AreSealedOrStatic()
    {
        var open = s_publicTypes.Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract).Select(t => t.FullName);
        Assert.That(open, Is.Empty);
    }

    [Test]
    public void Core_PublicTypes_LiveInAllowedNamespaces()
    {
        var allowed = new[] { "Gravity.Usage", "Gravity.Usage.Sqlite", "Gravity.Usage.Stripe", "Microsoft.Extensions.DependencyInjection" };
        Assert.That(s_publicTypes.Select(t => t.Namespace).Distinct(), Is.SubsetOf(allowed));
    }

    [Test]
    public void Core_AsyncMethods_EndInAsyncAndTakeCancellationTokenLast()
    {
        var problems = new List<string>();
        foreach (var method in s_publicTypes.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)))
        {
            if (!typeof(Task).IsAssignableFrom(method.ReturnType) || method.Name == nameof(IAsyncDisposable.DisposeAsync))
            {
                continue;
            }

            var parameters = method.GetParameters();
            if (!method.Name.EndsWith("Async", StringComparison.Ordinal))
            {
                problems.Add($"{method.DeclaringType!.Name}.{method.Name} does not end in Async");
            }

            if (parameters.Length == 0 || parameters[^1].ParameterType != typeof(CancellationToken) || !parameters[^1].HasDefaultValue)
            {
                problems.Add($"{method.DeclaringType!.Name}.{method.Name} does not take 'CancellationToken cancellationToken = default' last");
            }
        }

        Assert.That(problems, Is.Empty);
    }
}
