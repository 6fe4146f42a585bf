using System.Text.Json;

namespace Gravity.Usage.Testing.Tests.Support;

/// <summary>A small structural check of JSON against the OpenAPI subset: $ref, anyOf, nullable, type, required, properties, items.</summary>
public static class SchemaCheck
{
    public static IReadOnlyList<string> Validate(JsonElement spec, JsonElement value, JsonElement schema, string path = "$")
    {
        var problems = new List<string>();
        Check(spec, value, schema, path, problems);
        return problems;
    }

    private static void Check(JsonElement spec, JsonElement value, JsonElement schema, string path, List<string> problems)
    {
        schema = Resolve(spec, schema);
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            if (value.ValueKind == JsonValueKind.Null && schema.TryGetProperty("nullable", out var n) && n.GetBoolean())
            {
                return;
            }

            if (!anyOf.EnumerateArray().Any(option => Validate(spec, value, option, path).Count == 0))
            {
                problems.Add($"{path}: matches none of anyOf");
            }

            return;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!(schema.TryGetProperty("nullable", out var nullable) && nullable.GetBoolean()))
            {
                problems.Add($"{path}: null but not nullable");
            }

            return;
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var ok = type.GetString() switch
            {
                "string" => value.ValueKind == JsonValueKind.String,
                "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
                "number" => value.ValueKind == JsonValueKind.Number,
                "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                "object" => value.ValueKind == JsonValueKind.Object,
                "array" => value.ValueKind == JsonValueKind.Array,
                _ => true,
            };
            if (!ok)
            {
                problems.Add($"{path}: expected {type.GetString()}, got {value.ValueKind}");
                return;
            }
        }

        if (schema.TryGetProperty("enum", out var values) && value.ValueKind == JsonValueKind.String
            && !values.EnumerateArray().Any(v => v.ValueKind == JsonValueKind.String && v.GetString() == value.GetString()))
        {
            problems.Add($"{path}: '{value.GetString()}' is not one of the enum values");
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
            {
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                {
                    if (!value.TryGetProperty(name, out _))
                    {
                        problems.Add($"{path}: missing required '{name}'");
                    }
                }
            }

            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var property in value.EnumerateObject())
                {
                    if (properties.TryGetProperty(property.Name, out var propertySchema))
                    {
                        Check(spec, property.Value, propertySchema, $"{path}.{property.Name}", problems);
                    }
                    else if (!(schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind != JsonValueKind.False))
                    {
                        problems.Add($"{path}: property '{property.Name}' is not in the schema");
                    }
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(spec, item, items, $"{path}[{i++}]", problems);
            }
        }
    }

    public static JsonElement Resolve(JsonElement spec, JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var reference))
        {
            var node = spec;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                node = node.GetProperty(part);
            }

            schema = node;
        }

        return schema;
    }
}
