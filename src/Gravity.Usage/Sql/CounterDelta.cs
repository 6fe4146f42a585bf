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
        if (!SumOverflowed)
        {
            try
            {
                Sum = checked(Sum + quantity);
            }
            catch (OverflowException)
            {
                SumOverflowed = true;
            }
        }
    }
}
