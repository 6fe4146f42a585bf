using System.Globalization;
using System.Text;

namespace Gravity.Usage.Benchmarks;

/// <summary>A markdown table whose columns are padded so that it also reads well as plain text.</summary>
/// <remarks>The first column is left-aligned (labels); the others are right-aligned (numbers).</remarks>
internal sealed class ResultTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"A row needs {headers.Length} cells, not {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = new int[headers.Length];
        foreach (var row in _rows.Prepend(headers))
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], Math.Max(row[i].Length, 4));
            }
        }

        var text = new StringBuilder();
        AppendRow(text, headers, widths);
        text.Append('|');
        for (var i = 0; i < widths.Length; i++)
        {
            text.Append(i == 0 ? " :" + new string('-', widths[i] - 1) + " |" : " " + new string('-', widths[i] - 1) + ": |");
        }

        text.AppendLine();
        foreach (var row in _rows)
        {
            AppendRow(text, row, widths);
        }

        return text.ToString();
    }

    public static string Count(double value) => double.IsNaN(value) ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Micros(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 100 ? "N1" : "N0", CultureInfo.InvariantCulture);

    public static string Ratio(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 10 ? "0.0" : "N0", CultureInfo.InvariantCulture) + "x";

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (var i = 0; i < cells.Length; i++)
        {
            text.Append(' ').Append(i == 0 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i])).Append(" |");
        }

        text.AppendLine();
    }
}
