using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gravity.Usage.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of a test's own, in a temporary directory, for tests that crash or restart the server: the
/// shared server of the run is never disturbed. Uses the binaries under /usr/lib/postgresql, as eng/postgres.sh does.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly DirectoryInfo _directory;
    private readonly int _port;

    private ThrowawayPostgres(string bin, DirectoryInfo directory, int port)
    {
        _bin = bin;
        _directory = directory;
        _port = port;
    }

    /// <summary>Gets the Npgsql connection string of the server.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;SSL Mode=Disable";

    private string DataDirectory => Path.Combine(_directory.FullName, "data");

    private string ServerOptions => $"-c listen_addresses=127.0.0.1 -p {_port} -k {_directory.FullName} -c max_connections=50";

    /// <summary>Creates and starts a server; ignores the test when PostgreSQL is not installed (fails it under CI=true).</summary>
    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = FindBinaries();
        if (bin is null)
        {
            const string problem = "PostgreSQL binaries were not found under /usr/lib/postgresql/*/bin.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(problem);
            }

            Assert.Ignore(problem);
        }

        var directory = Directory.CreateTempSubdirectory("gu-pg-own-");
        if (IsRoot)
        {
            // initdb refuses to run as root; the server runs as the postgres user, which must own its directory.
            await RunAsync("chown", "postgres:", directory.FullName);
        }

        var server = new ThrowawayPostgres(bin!, directory, FreePort());
        await server.RunAsOwnerAsync("initdb", "-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale");
        await server.RunAsOwnerAsync("pg_ctl", "-D", server.DataDirectory, "-l", Path.Combine(directory.FullName, "server.log"), "-w", "-t", "60", "-o", server.ServerOptions, "start");
        return server;
    }

    /// <summary>Kills the server without a clean shutdown (as a crash would) and starts it again, which runs crash recovery.</summary>
    public Task RestartImmediatelyAsync() =>
        RunAsOwnerAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "-o", ServerOptions, "restart");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsOwnerAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            _directory.Delete(recursive: true);
        }
    }

    private static bool IsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    private static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .LastOrDefault()
            : null;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task RunAsOwnerAsync(string tool, params string[] arguments) =>
        IsRoot
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
            : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output} {await error}");
        }
    }
}
