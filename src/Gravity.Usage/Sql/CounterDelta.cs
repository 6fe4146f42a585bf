namespace Gravity.Usage.Sql;

/// <summary>The increments of one batch that fall on the same counter, folded into one addition.</summary>
internal sealed class CounterDelta
{
    public List<int> Indexes { get; } = new(1);

    public long Sum { get; private set; }

    public bool SumOverflowed { get; private set; }

    public void Add(int index, long quantity)
    {
        Indexes.Add(index);
        // Past the most a counter may hold, the folded sum cannot be applied at once; each increment is then tried alone.
        if (!SumOverflowed)
        {
            if (quantity > UsageBillingOptions.MaxCounterQuantity - Sum)
            {
                SumOverflowed = true;
            }
            else
            {
                Sum += quantity;
            }
        }
    }
}
