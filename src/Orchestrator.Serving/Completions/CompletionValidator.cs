using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Serving.Engine;
using Orchestrator.Inference.Generation;

namespace Orchestrator.Serving.Completions;

/// <summary>
/// Checks a <see cref="CompletionRequest"/> against the served model and the server's limits and turns it into
/// sequences to decode. Defaults follow the OpenAI completions API (max_tokens 16, temperature 1, top_p 1, n 1).
/// <para>
/// A prompt longer than the model's context (block_size) is accepted and truncated from the left: the model sees its
/// last block_size tokens, as <see cref="TextGenerator"/> and nanoGPT's sampler do. Rejecting it would make long chats
/// unusable on small models; <c>usage.prompt_tokens</c> still counts the whole prompt.
/// </para>
/// </summary>
public sealed class CompletionValidator(ServedModel served, ServingOptions options)
{
    public const int DefaultMaxTokens = 16;
    public const int MaxChoices = 16;
    public const int MaxPrompts = 16;
    public const int MaxStopSequences = 4;
    public const double MaxTemperature = 2.0;

    /// <summary>Throws <see cref="InvalidCompletionRequestException"/> naming the first parameter out of range.</summary>
    public CompletionPlan Validate(CompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model is { Length: > 0 } model && model != served.Name)
            throw new InvalidCompletionRequestException($"The model '{model}' does not exist: this server serves '{served.Name}' (see GET /v1/models).", "model", "model_not_found");

        var maxTokens = request.MaxTokens ?? DefaultMaxTokens;
        if (maxTokens < 1 || maxTokens > options.MaxTokensLimit)
            throw new InvalidCompletionRequestException($"max_tokens is {maxTokens}; it must be between 1 and {options.MaxTokensLimit} on this server.", "max_tokens");
        var temperature = request.Temperature ?? 1.0;
        if (!double.IsFinite(temperature) || temperature < 0 || temperature > MaxTemperature)
            throw new InvalidCompletionRequestException($"temperature is {temperature}; it must be between 0 (greedy) and {MaxTemperature}.", "temperature");
        var topP = request.TopP ?? 1.0;
        if (!double.IsFinite(topP) || topP <= 0 || topP > 1)
            throw new InvalidCompletionRequestException($"top_p is {topP}; it must be greater than 0 and at most 1.", "top_p");
        if (request.TopK is < 1)
            throw new InvalidCompletionRequestException($"top_k is {request.TopK}; it must be at least 1 (leave it out to consider every token).", "top_k");
        var n = request.N ?? 1;
        if (n < 1 || n > MaxChoices)
            throw new InvalidCompletionRequestException($"n is {n}; it must be between 1 and {MaxChoices}.", "n");
        var stops = ValidateStops(request.Stop);

        if (request.Prompts.Count == 0)
            throw new InvalidCompletionRequestException("prompt is required: give a string or an array of strings.", "prompt", "missing_required_parameter");
        if (request.Prompts.Count > MaxPrompts)
            throw new InvalidCompletionRequestException($"prompt holds {request.Prompts.Count} strings; at most {MaxPrompts} are accepted per request.", "prompt");
        var sequenceCount = request.Prompts.Count * n;
        var admissible = options.MaxBatch + options.QueueCapacity;
        if (sequenceCount > admissible)
            throw new InvalidCompletionRequestException(
                $"This request asks for {sequenceCount} sequences (prompts × n) but the server holds at most {admissible} at once (max batch {options.MaxBatch} + queue {options.QueueCapacity}): send fewer prompts or a smaller n.", "n");

        var sequences = new List<SequenceSpec>(sequenceCount);
        var promptTokens = 0;
        for (var p = 0; p < request.Prompts.Count; p++)
        {
            var ids = Encode(request.Prompts[p], request.Prompts.Count == 1 ? "prompt" : $"prompt[{p}]");
            promptTokens += ids.Length;
            for (var choice = 0; choice < n; choice++)
            {
                var generation = new GenerationOptions
                {
                    MaxTokens = maxTokens,
                    Temperature = temperature,
                    TopK = request.TopK,
                    TopP = topP < 1 ? topP : null,
                    Seed = request.Seed is { } seed ? unchecked((ulong)(seed + choice)) : null,
                };
                sequences.Add(new SequenceSpec(p * n + choice, ids, generation, stops));
            }
        }
        return new CompletionPlan(sequences, promptTokens);
    }

    private static IReadOnlyList<string> ValidateStops(IReadOnlyList<string> stops)
    {
        if (stops.Count > MaxStopSequences)
            throw new InvalidCompletionRequestException($"stop holds {stops.Count} sequences; at most {MaxStopSequences} are accepted.", "stop");
        if (stops.Any(string.IsNullOrEmpty))
            throw new InvalidCompletionRequestException("stop sequences must not be empty strings.", "stop");
        return stops;
    }

    /// <summary>The prompt's ids; an empty prompt starts from end-of-text, or from a newline when the tokenizer has none.</summary>
    private int[] Encode(string prompt, string param)
    {
        var tokenizer = served.Tokenizer;
        try
        {
            if (prompt.Length > 0) return tokenizer.Encode(Encoding.UTF8.GetBytes(prompt));
            if (tokenizer.EndOfTextId is { } endOfText) return [endOfText];
            return tokenizer.Encode("\n"u8);
        }
        catch (UnencodableTextException e)
        {
            throw new InvalidCompletionRequestException(
                prompt.Length == 0
                    ? $"{param} is empty and this model's tokenizer has neither an end-of-text token nor a newline to start from: give a non-empty prompt."
                    : $"{param} cannot be encoded by this model's {tokenizer.Kind} tokenizer: {e.Message}",
                param);
        }
    }
}
