using Orchestrator.Models.Gpt;
using Orchestrator.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests;

/// <summary>Decoding with a KV cache or carried hidden state must give the logits of a forward pass over the whole sequence.</summary>
public sealed class IncrementalDecodingTests
{
    private const double Tolerance = 2e-5;

    /// <summary>Model kinds, and a GPT with trained LoRA adapters on c_attn and on the tied embedding (what serve decodes after LoRA).</summary>
    public static TheoryData<string> Kinds => ["gpt", "gpt-lora", "lstm", "gru", "rnn"];

    private static LanguageModel Create(string kind)
    {
        if (kind != "gpt-lora") return TinyModels.Create(kind == "gpt" ? TinyModels.Gpt() : TinyModels.Recurrent(kind));
        var model = TinyModels.Create(TinyModels.Gpt() with { Lora = new LoraConfig { Rank = 2, EmbeddingRank = 2 } });
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
            if (LoraWeights.IsAdapter(name)) parameter.normal_(0, 0.3);
        return model;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Prompt_then_one_token_at_a_time_equals_the_full_forward(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Create(kind);
        var tokens = TinyModels.Tokens(2, 16, 11, seed: 21);
        var full = model.forward(tokens);

        using var state = model.CreateDecodingState(2, CPU);
        var pieces = new List<Tensor> { model.ForwardIncremental(tokens[.., ..5], state) };
        for (var t = 5; t < 16; t++)
            pieces.Add(model.ForwardIncremental(tokens[.., t..(t + 1)], state));

        Assert.Equal(16, state.Length);
        Assert.True(TinyModels.MaxAbsDiff(cat(pieces, 1), full) < Tolerance);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Chunks_of_several_tokens_after_a_prefix_equal_the_full_forward(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Create(kind);
        var tokens = TinyModels.Tokens(2, 16, 11, seed: 22);
        var full = model.forward(tokens);

        using var state = model.CreateDecodingState(2, CPU);
        // 1 + 4 + 3 + 1 + 7: chunks longer than one token after a non-empty cache need the offset causal mask.
        int[] chunks = [1, 4, 3, 1, 7];
        var pieces = new List<Tensor>();
        var start = 0;
        foreach (var length in chunks)
        {
            pieces.Add(model.ForwardIncremental(tokens[.., start..(start + length)], state));
            start += length;
        }

        Assert.True(TinyModels.MaxAbsDiff(cat(pieces, 1), full) < Tolerance);
    }

    [Fact]
    public void Kv_cache_refuses_tokens_beyond_block_size_with_a_clear_error()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt(blockSize: 8));
        using var state = model.CreateDecodingState(1, CPU);
        model.ForwardIncremental(TinyModels.Tokens(1, 6, 11, seed: 23), state);

        var error = Assert.Throws<InvalidOperationException>(() => model.ForwardIncremental(TinyModels.Tokens(1, 3, 11, seed: 24), state));
        Assert.Contains("holds 6 tokens", error.Message);
        Assert.Contains("block_size is 8", error.Message);
        Assert.Equal(6, state.Length); // the refused call left the cache as it was
        Assert.Equal(8, model.MaxDecodingLength);
    }

    [Fact]
    public void Kv_cache_is_allocated_once_at_block_size()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt(blockSize: 16));
        using var state = model.CreateDecodingState(1, CPU);
        var before = DisposeScopeManager.Statistics.TensorStatistics.DetachedFromScopeCount;
        for (var t = 0; t < 16; t++)
        {
            using var step = NewDisposeScope();
            model.ForwardIncremental(TinyModels.Tokens(1, 1, 11, seed: t), state);
        }
        // No step detached (i.e. allocated for the state) a new tensor: appends are in-place writes.
        Assert.Equal(before, DisposeScopeManager.Statistics.TensorStatistics.DetachedFromScopeCount);
        Assert.Equal(16, ((KvCache)state).Capacity);
    }
}
