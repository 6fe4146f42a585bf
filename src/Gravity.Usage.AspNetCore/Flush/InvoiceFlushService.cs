using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.AspNetCore.Flush;

/// <summary>
/// Runs the queued invoice flushes one at a time: for each account of the invoice's customer,
/// <see cref="IUsageReporter.ReportAccountAsync"/> closes its usage, the bucket in progress included, and delivers it.
/// A flush that fails is logged; the reports it closed stay pending for the regular reporting runs, and usage it could
/// not close is closed by them, so nothing is lost, only later.
/// </summary>
internal sealed partial class InvoiceFlushService(
    InvoiceFlushQueue queue,
    IServiceProvider services,
    ILogger<InvoiceFlushService> logger) : BackgroundService
{
    private IStripeCustomerAccounts? _accounts;
    private IUsageReporter? _reporter;

    /// <summary>Checks at start that a flush can run: a reporter (a sink) and a way to find a customer's accounts.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the worker runs.</returns>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _accounts = CustomerAccountsSource.Resolve(services);
        _reporter = services.GetRequiredService<IUsageReporter>();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var flush in queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(flush, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: queued flushes are left to the regular reporting runs.
        }
    }

    private async Task FlushAsync(InvoiceFlush flush, CancellationToken stoppingToken)
    {
        IReadOnlyList<string> accounts;
        try
        {
            accounts = await _accounts!.FindAccountsAsync(flush.CustomerId, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogLookupFailed(logger, ex, flush.EventId);
            return;
        }

        if (accounts.Count == 0)
        {
            LogNoAccounts(logger, flush.EventId);
            return;
        }

        int sent = 0, pending = 0, failed = 0;
        foreach (var account in accounts)
        {
            try
            {
                var run = await _reporter!.ReportAccountAsync(account, stoppingToken).ConfigureAwait(false);
                sent += run.Sent;
                pending += run.WaitingForRetry;
                failed += run.Failed + run.Unknown;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogAccountFailed(logger, ex, flush.EventId);
            }
        }

        LogFlushed(logger, flush.EventId, flush.InvoiceId ?? "none", accounts.Count, sent, pending, failed);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Invoice flush for Stripe event {EventId} (invoice {InvoiceId}): {Accounts} accounts, {Sent} reports sent, {Pending} waiting for a retry, {Failed} failed or parked.")]
    private static partial void LogFlushed(ILogger logger, string eventId, string invoiceId, int accounts, int sent, int pending, int failed);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Invoice flush for Stripe event {EventId}: no account is mapped to the invoice's customer.")]
    private static partial void LogNoAccounts(ILogger logger, string eventId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Invoice flush for Stripe event {EventId}: the accounts of the invoice's customer could not be read; the regular reporting runs will deliver their usage.")]
    private static partial void LogLookupFailed(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Invoice flush for Stripe event {EventId}: one account's flush failed; the regular reporting runs will deliver its usage.")]
    private static partial void LogAccountFailed(ILogger logger, Exception exception, string eventId);
}
