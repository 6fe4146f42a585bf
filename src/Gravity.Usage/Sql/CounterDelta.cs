namespace Gravity.Usage.Sql;

/// <summary>The increments of one batch that fall on the same counter, folded into one addition.</summary>
internal sealed class CounterDelta
{
    private int _first = -1;
    private List<int>? _indexes;

    /// <summary>Gets the indexes of the increments, in order.</summary>
    /// <remarks>
    /// Nearly every counter of a batch has one increment, and the list is read only when a folded sum overflows: the
    /// first index is kept in a field, and a list is made only for a second increment or when asked for.
    /// </remarks>
    public List<int> Indexes => _indexes ??= _first < 0 ? [] : [_first];

    public long Sum { get; private set; }

    public bool SumOverflowed { get; private set; }

    public void Add(int index, long quantity)
    {
        if (_first < 0 && _indexes is null)
        {
            _first = index;
        }
        else
        {
            Indexes.Add(index);
        }

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
