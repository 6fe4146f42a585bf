namespace Gravity.Usage.Sql;

/// <summary>
/// Runs a store's schema preparation once, on first use, however many callers arrive together; a failed preparation
/// is tried again by the next caller.
/// </summary>
/// <remarks>The semaphore is never disposed: without its wait handle it holds nothing to release, and a store may still
/// be racing a late caller when it is disposed.</remarks>
#pragma warning disable CA1001
internal sealed class SchemaGate
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _ready;

    public async Task EnsureAsync(Func<CancellationToken, Task> prepare, CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_ready)
            {
                await prepare(cancellationToken).ConfigureAwait(false);
                _ready = true;
            }
        }
        finally
        {
            _lock.Release();
        }
    }
}
