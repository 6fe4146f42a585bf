namespace Gravity.Usage.Tool.Output;

/// <summary>A plain text table for a terminal: a header row and columns padded to their widest cell.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public Table Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"A row has {headers.Length} cells.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public void WriteTo(TextWriter writer)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        Write(writer, headers, widths);
        foreach (var row in _rows)
        {
            Write(writer, row, widths);
        }
    }

    private static void Write(TextWriter writer, string[] cells, int[] widths)
    {
        var line = string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i])));
        writer.WriteLine(line.TrimEnd());
    }
}
