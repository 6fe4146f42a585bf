namespace Gravity.Usage.Sql;

/// <summary>An account's row as stored: <see cref="BillableSince"/> in Unix seconds.</summary>
internal sealed class AccountRow
{
    public string Account { get; set; } = string.Empty;

    public string? StripeCustomerId { get; set; }

    public bool Billable { get; set; }

    public long? BillableSince { get; set; }
}
