namespace Gravity.Usage;

/// <summary>
/// A reporter's claim on due reports (<see cref="IUsageReportStore.ClaimDueAsync"/>): the reports claimed are the
/// owner's until <see cref="LeaseExpiresAt"/>; after it, another claim may take them (see the lease rules on
/// <see cref="IUsageReportStore"/>).
/// </summary>
/// <param name="Owner">Who claims: unique per reporter run.</param>
/// <param name="Now">Reports due at or before this instant, and whose leases expired by it, are claimed.</param>
/// <param name="LeaseExpiresAt">Until when the claimed reports are the owner's.</param>
/// <param name="Limit">The most reports claimed.</param>
/// <param name="Account">Only this account, or every account when <see langword="null"/>.</param>
public sealed record ReportClaim(string Owner, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt, int Limit, string? Account = null);
