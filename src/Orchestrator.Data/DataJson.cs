using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Data;

/// <summary>
/// The one set of serializer settings for every JSON file the data pipeline reads or writes (meta.json, prepare options),
/// so names are snake_case everywhere and a file written by one version reads back in the next.
/// </summary>
public static class DataJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Files for people and tools, never embedded in HTML: keep '+', '<', non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
