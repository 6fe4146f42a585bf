using System.Collections;
using System.Globalization;

namespace Gravity.Usage.Testing.Contract;

/// <summary>
/// The few checks the contract needs, so that the suite depends on no test framework: each throws a
/// <see cref="ContractCheckFailure"/> naming what it looked at, the expected and the actual value.
/// </summary>
internal static class Check
{
    /// <summary>Values, or sequences element by element (nested sequences too), are equal.</summary>
    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!AreEqual(expected, actual))
        {
            throw new ContractCheckFailure(what, Format(expected), Format(actual));
        }
    }

    /// <summary>The sequence holds the same elements as <paramref name="expected"/>, in any order.</summary>
    public static void Equivalent<T>(IEnumerable<T> expected, IEnumerable<T> actual, string what)
    {
        var left = expected.Select(e => Format(e)).Order(StringComparer.Ordinal).ToList();
        var right = actual.Select(a => Format(a)).Order(StringComparer.Ordinal).ToList();
        if (!left.SequenceEqual(right, StringComparer.Ordinal))
        {
            throw new ContractCheckFailure(what, Format(expected), Format(actual));
        }
    }

    public static void True(bool condition, string what, string expected, object? actual)
    {
        if (!condition)
        {
            throw new ContractCheckFailure(what, expected, Format(actual));
        }
    }

    public static void All<T>(IEnumerable<T> actual, T expected, string what)
    {
        var items = actual.ToList();
        True(items.TrueForAll(i => AreEqual(expected, i)), what, "every element " + Format(expected), items);
    }

    public static void Empty<T>(IEnumerable<T> actual, string what)
    {
        var items = actual.ToList();
        True(items.Count == 0, what, "nothing", items);
    }

    public static void Unique<T>(IEnumerable<T> actual, string what)
    {
        var items = actual.ToList();
        True(items.Distinct().Count() == items.Count, what, "no element twice", items);
    }

    public static void Contains(string? actual, string part, string what) =>
        True(actual is not null && actual.Contains(part, StringComparison.Ordinal), what, $"a text containing \"{part}\"", actual);

    public static void DoesNotContain(string? actual, string part, string what) =>
        True(actual is not null && !actual.Contains(part, StringComparison.Ordinal), what, $"a text without \"{part}\"", actual);

    /// <summary>The action throws <typeparamref name="TException"/> or a type derived from it.</summary>
    public static async Task<TException> ThrowsAsync<TException>(Func<Task> action, string what)
        where TException : Exception
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (TException ex)
        {
            return ex;
        }
        catch (Exception ex) when (ex is not ContractCheckFailure)
        {
            throw new ContractCheckFailure(what, typeof(TException).Name, $"{ex.GetType().Name}: {ex.Message}");
        }

        throw new ContractCheckFailure(what, typeof(TException).Name, "no exception");
    }

    /// <summary>The action throws <typeparamref name="TException"/> or a type derived from it.</summary>
    public static TException Throws<TException>(Action action, string what)
        where TException : Exception
    {
        try
        {
            action();
        }
        catch (TException ex)
        {
            return ex;
        }
        catch (Exception ex) when (ex is not ContractCheckFailure)
        {
            throw new ContractCheckFailure(what, typeof(TException).Name, $"{ex.GetType().Name}: {ex.Message}");
        }

        throw new ContractCheckFailure(what, typeof(TException).Name, "no exception");
    }

    private static bool AreEqual(object? expected, object? actual)
    {
        if (expected is IEnumerable left and not string && actual is IEnumerable right and not string)
        {
            var l = left.Cast<object?>().ToList();
            var r = right.Cast<object?>().ToList();
            return l.Count == r.Count && l.Zip(r).All(p => AreEqual(p.First, p.Second));
        }

        return Equals(expected, actual);
    }

    public static string Format(object? value) => value switch
    {
        null => "null",
        string text => $"\"{text}\"",
        DateTimeOffset instant => instant.ToString("O", CultureInfo.InvariantCulture),
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
