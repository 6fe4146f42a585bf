using System.Net;
using System.Net.Sockets;
using Gravity.Usage.IntegrationTests.Contract;
using Npgsql;

namespace Gravity.Usage.IntegrationTests.Simulation;

/// <summary>
/// A TCP proxy between the PostgreSQL stores of one seed and the server, which drops a connection exactly around a
/// <c>COMMIT</c>: before it reaches the server (the transaction rolls back), or after the server answered it (the
/// transaction committed, the client only sees a broken connection). Everything else passes through unchanged.
/// </summary>
/// <remarks>
/// Npgsql commits with a simple-query message, <c>'Q' int32(11) "COMMIT\0"</c>, which the proxy looks for in the bytes
/// from the client; it never parses anything else. Connections use <c>SSL Mode=Disable</c> so the bytes are plain.
/// </remarks>
public sealed class CommitDropProxy : IAsyncDisposable
{
    private static readonly byte[] CommitMessage = [(byte)'Q', 0, 0, 0, 11, .. "COMMIT"u8, 0];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task> _connections = [];
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly Task _acceptLoop;
    private bool? _armedAfterCommit;
    private int _passesLeft;

    public CommitDropProxy()
    {
        var server = new NpgsqlConnectionStringBuilder(PostgreSqlServer.ConnectionString);
        _serverHost = string.IsNullOrEmpty(server.Host) ? "127.0.0.1" : server.Host;
        _serverPort = server.Port;
        _listener.Start();
        ConnectionString = new NpgsqlConnectionStringBuilder(PostgreSqlServer.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
            SslMode = SslMode.Disable,
        }.ConnectionString;
        _acceptLoop = AcceptAsync();
    }

    /// <summary>Gets the connection string that leads through the proxy.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets how many commits were dropped before reaching the server.</summary>
    public int DroppedBeforeCommit { get; private set; }

    /// <summary>Gets how many commits were applied by the server and then had their answer dropped.</summary>
    public int DroppedAfterCommit { get; private set; }

    public int Drops
    {
        get
        {
            lock (_lock)
            {
                return DroppedBeforeCommit + DroppedAfterCommit;
            }
        }
    }

    /// <summary>Arms a drop of the commit after the next <paramref name="passesFirst"/> ones.</summary>
    public void Arm(bool afterCommit, int passesFirst)
    {
        lock (_lock)
        {
            _armedAfterCommit = afterCommit;
            _passesLeft = passesFirst;
        }
    }

    public void Disarm()
    {
        lock (_lock)
        {
            _armedAfterCommit = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_lock)
        {
            connections = [.. _connections, _acceptLoop];
        }

        await Task.WhenAll(connections.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    /// <summary>Whether this commit is the one to drop, and how.</summary>
    private bool? TakeDrop()
    {
        lock (_lock)
        {
            if (_armedAfterCommit is not { } after || _passesLeft-- > 0)
            {
                return null;
            }

            _armedAfterCommit = null;
            if (after)
            {
                DroppedAfterCommit++;
            }
            else
            {
                DroppedBeforeCommit++;
            }

            return after;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_lock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(RelayAsync(client));
            }
        }
    }

    /// <summary>Relays one connection both ways until either side closes it or a drop cuts it.</summary>
    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        using (client)
        {
            try
            {
                await server.ConnectAsync(_serverHost, _serverPort, cut.Token);
                var answerToDrop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var upstream = ClientToServerAsync(client.GetStream(), server.GetStream(), answerToDrop, cut);
                var downstream = ServerToClientAsync(server.GetStream(), client.GetStream(), answerToDrop.Task, cut);
                await Task.WhenAny(upstream, downstream);
                await cut.CancelAsync();
                await Task.WhenAll(upstream, downstream).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task ClientToServerAsync(NetworkStream from, NetworkStream to, TaskCompletionSource answerToDrop, CancellationTokenSource cut)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, cut.Token);
            if (read == 0)
            {
                return;
            }

            var commitAt = buffer.AsSpan(0, read).IndexOf(CommitMessage);
            if (commitAt >= 0 && TakeDrop() is { } afterCommit)
            {
                if (!afterCommit)
                {
                    // The server never sees the COMMIT: closing the connection rolls the transaction back.
                    await to.WriteAsync(buffer.AsMemory(0, commitAt), cut.Token);
                    return;
                }

                // The server gets the COMMIT; its answer is swallowed and the connection cut once it arrives.
                answerToDrop.TrySetResult();
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cut.Token);
        }
    }

    private static async Task ServerToClientAsync(NetworkStream from, NetworkStream to, Task answerToDrop, CancellationTokenSource cut)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, cut.Token);
            if (read == 0 || answerToDrop.IsCompleted)
            {
                // After a dropped COMMIT the first bytes from the server are its answer: the commit is done, and lost.
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cut.Token);
        }
    }
}
