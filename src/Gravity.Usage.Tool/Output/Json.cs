using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gravity.Usage.Tool.Output;

/// <summary>The JSON the tool writes for scripts: camelCase names, enums as lowercase words, instants in ISO 8601.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write<T>(TextWriter writer, T value) => writer.WriteLine(JsonSerializer.Serialize(value, s_options));
}
