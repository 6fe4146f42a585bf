using System.Text;

namespace Gravity.Usage.IntegrationTests.Stripe;

/// <summary>One request stripe-node sent to a loopback listener, from reference/stripe-node-wire-captures.txt.</summary>
public sealed record WireCapture(string Method, string PathAndQuery, int Attempt, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string Path => PathAndQuery.Split('?')[0];

    public string? Query => PathAndQuery.Contains('?', StringComparison.Ordinal) ? PathAndQuery[(PathAndQuery.IndexOf('?', StringComparison.Ordinal) + 1)..] : null;

    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public override string ToString() => $"{Method} {PathAndQuery} [attempt {Attempt}]";

    /// <summary>Reads the captures file, copied beside the tests from tests/TestData/Stripe.</summary>
    public static IReadOnlyList<WireCapture> Load()
    {
        var path = Locate();
        var text = File.ReadAllText(path, Encoding.UTF8).Replace("\r\n", "\n", StringComparison.Ordinal);
        var captures = new List<WireCapture>();
        var block = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length >= 10 && line.All(c => c == '-'))
            {
                captures.Add(Parse(block));
                block.Clear();
            }
            else
            {
                block.Add(line);
            }
        }

        if (block.Any(l => l.Length > 0))
        {
            captures.Add(Parse(block));
        }

        return captures;
    }

    public static string Locate()
    {
        var file = System.IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "Stripe", "stripe-node-wire-captures.txt");
        if (!File.Exists(file))
        {
            Assert.Fail($"The stripe-node wire captures were not copied beside the tests: expected {file} (from tests/TestData/Stripe).");
        }

        return file;
    }

    /// <summary>Splits a form body or query into its decoded pairs, in order.</summary>
    public static List<KeyValuePair<string, string>> DecodeForm(string form) =>
        form.Length == 0
            ? []
            : form.Split('&').Select(pair =>
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                return equals < 0
                    ? new KeyValuePair<string, string>(Uri.UnescapeDataString(pair), string.Empty)
                    : new KeyValuePair<string, string>(Uri.UnescapeDataString(pair[..equals]), Uri.UnescapeDataString(pair[(equals + 1)..]));
            }).ToList();

    private static WireCapture Parse(List<string> lines)
    {
        while (lines.Count > 0 && lines[0].Length == 0)
        {
            lines.RemoveAt(0);
        }

        // "POST /v1/billing/meter_events HTTP/1.1   [attempt 1]"
        var requestLine = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var attempt = int.Parse(lines[0][(lines[0].LastIndexOf("attempt ", StringComparison.Ordinal) + 8)..].TrimEnd(']'), System.Globalization.CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        var index = 1;
        for (; index < lines.Count && lines[index].Length > 0; index++)
        {
            var colon = lines[index].IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(lines[index][..colon].Trim(), lines[index][(colon + 1)..].Trim()));
        }

        var body = string.Join("\n", lines.Skip(index + 1)).TrimEnd('\n');
        return new WireCapture(requestLine[0], requestLine[1], attempt, headers, body);
    }
}
