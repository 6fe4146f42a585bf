using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>
/// The test host in a child process (tests/Gravity.Usage.TestHost), to kill it mid-run: a reporter that runs
/// <c>ReportAsync</c> once (or in a loop) against a SQLite file or a PostgreSQL schema and a Stripe endpoint, or an
/// incrementer; each prints READY before and DONE after.
/// </summary>
public sealed class TestHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private TestHostProcess(Process process)
    {
        _process = process;
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the child wrote so far, standard output and error.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Starts <c>Gravity.Usage.TestHost report ...</c> with <c>dotnet</c>.</summary>
    public static TestHostProcess StartReporter(string databasePath, Uri stripeBase, string apiKey, string meter, int leaseSeconds) =>
        Start(
            "report",
            "--database", databasePath,
            "--stripe-base", stripeBase.AbsoluteUri,
            "--api-key", apiKey,
            "--meter", meter,
            "--lease-seconds", leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Starts <c>Gravity.Usage.TestHost</c> with <c>dotnet</c> and the given command and options.</summary>
    public static TestHostProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(LocateAssembly());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var child = new TestHostProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// The test host built beside the tests: from the test assembly's folder up to the one holding Gravity.Usage.sln,
    /// then tests/Gravity.Usage.TestHost/bin/&lt;the tests' configuration&gt;/&lt;the tests' framework&gt;.
    /// </summary>
    public static string LocateAssembly()
    {
        var testDirectory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var framework = testDirectory.Name;
        var configuration = testDirectory.Parent?.Name ?? throw new InvalidOperationException($"No configuration folder above {testDirectory}.");
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gravity.Usage.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException($"No folder above {testDirectory} holds Gravity.Usage.sln.");
        }

        var assembly = Path.Combine(root.FullName, "tests", "Gravity.Usage.TestHost", "bin", configuration, framework, "Gravity.Usage.TestHost.dll");
        return File.Exists(assembly)
            ? assembly
            : throw new FileNotFoundException("The test host is not built; the integration tests reference its project, so building them builds it.", assembly);
    }

    /// <summary>Kills the child and every process it started (SIGKILL on Linux) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits until the child ended on its own and its output was read, at most <paramref name="limit"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan limit) => await _process.WaitForExitAsync().WaitAsync(limit);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or gone meanwhile.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
