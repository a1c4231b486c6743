using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Orchestrator.Training.Configuration;

/// <summary>
/// Reads JSON a person wrote (a <c>--config</c> file, a job file). System.Text.Json ignores keys it does not know, so
/// <c>"max_step": 30</c> would silently train the default 2000 steps; here every key of every object is checked
/// against the type it is read into, whatever fields that type has now or gains later, and an unknown one is refused
/// naming it, where it is, and the closest known key.
/// </summary>
public static class StrictJson
{
    /// <summary>
    /// Throws <see cref="UnknownJsonKeyException"/> for the first key of <paramref name="json"/> that
    /// <typeparamref name="T"/> (with <paramref name="options"/>' naming) does not have; <paramref name="source"/> names
    /// the file in the message. Invalid JSON is left for the deserializer to report.
    /// </summary>
    public static void EnsureKnownKeys<T>(string json, JsonSerializerOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException)
        {
            return;
        }
        using (document)
        {
            options.MakeReadOnly(populateMissingResolver: true);
            Check(document.RootElement, options.GetTypeInfo(typeof(T)), "", options, source);
        }
    }

    private static void Check(JsonElement element, JsonTypeInfo type, string path, JsonSerializerOptions options, string source)
    {
        if (element.ValueKind != JsonValueKind.Object || type.Kind != JsonTypeInfoKind.Object) return;
        foreach (var property in element.EnumerateObject())
        {
            var known = type.Properties.FirstOrDefault(p => string.Equals(p.Name, property.Name,
                options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
            var where = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            if (known is null)
                throw new UnknownJsonKeyException(where, Describe(source, where, property.Name, type.Properties.Select(p => p.Name).ToArray()));
            var propertyType = Nullable.GetUnderlyingType(known.PropertyType) ?? known.PropertyType;
            Check(property.Value, options.GetTypeInfo(propertyType), where, options, source);
        }
    }

    private static string Describe(string source, string where, string key, IReadOnlyList<string> known)
    {
        var closest = ClosestName.Find(key, known);
        var hint = closest is not null ? $"did you mean \"{closest}\"?" : $"the keys here are {string.Join(", ", known)}";
        return $"{source}: unknown key \"{where}\": {hint} (unknown keys are refused so a typo cannot silently leave a default in place)";
    }
}

/// <summary>A JSON file has a key its reader does not know; <see cref="Key"/> is its dotted path.</summary>
public sealed class UnknownJsonKeyException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}
