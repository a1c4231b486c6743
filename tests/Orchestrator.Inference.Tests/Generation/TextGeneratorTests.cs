using Orchestrator.Models;
using Orchestrator.Inference.Generation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Inference.Tests.Generation;

public sealed class TextGeneratorTests
{
    private static readonly int[] Prompt = [1, 4, 2];

    public static TheoryData<string, int, int, bool> Cases => new()
    {
        // model, block_size, max tokens, sampled: 30 tokens through block_size 8 restart the KV cache several times.
        { "gpt", 8, 30, false }, { "gpt", 64, 40, false }, { "lstm", 0, 30, false }, { "gru", 0, 30, false }, { "rnn", 0, 30, false },
        { "gpt", 8, 30, true }, { "gpt", 64, 40, true }, { "lstm", 0, 30, true }, { "gru", 0, 30, true }, { "rnn", 0, 30, true },
    };

    private static LanguageModel Create(string kind, int blockSize) =>
        GenerationModels.Create(kind == "gpt" ? GenerationModels.Gpt(blockSize) : GenerationModels.Recurrent(kind));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generation_equals_generation_by_full_recomputation(string kind, int blockSize, int maxTokens, bool sampled)
    {
        using var model = Create(kind, blockSize);
        var options = sampled
            ? new GenerationOptions { Temperature = 1.0, TopK = 10, MaxTokens = maxTokens, Seed = 77 }
            : new GenerationOptions { Temperature = 0, MaxTokens = maxTokens };

        var generated = new TextGenerator(model, CPU).Generate(Prompt, options).ToList();

        Assert.Equal(ByFullRecomputation(model, Prompt, options), generated);
        // Random untrained models fall into a fixed point under greedy decoding; sampled text must wander, or the
        // comparison would prove little.
        if (sampled) Assert.True(generated.Distinct().Count() > 3, $"degenerate sample: {string.Join(",", generated)}");
    }

    [Fact]
    public void Prompt_longer_than_block_size_is_cut_to_its_last_block_size_tokens()
    {
        using var model = Create("gpt", 8);
        int[] prompt = [.. Enumerable.Range(0, 20).Select(i => (i * 7) % GenerationModels.VocabSize)];

        var options = new GenerationOptions { Temperature = 1.0, MaxTokens = 12, Seed = 8 };

        var generated = new TextGenerator(model, CPU).Generate(prompt, options).ToList();

        Assert.Equal(ByFullRecomputation(model, prompt, options), generated);
    }

    [Fact]
    public void Each_step_feeds_only_the_new_token_except_restarts_from_half_a_block()
    {
        using var model = new CountingModel(Create("gpt", 8));
        var generated = new TextGenerator(model, CPU).Generate(Prompt, new GenerationOptions { Temperature = 0, MaxTokens = 14 }).ToList();

        // The prompt fills positions 0..2 and tokens 1..5 fill 3..7: the cache is full. Feeding token 6 restarts from the
        // last 4 ids (0..3), tokens 7..10 fill 4..7, token 11 restarts again. The 14th token is never fed.
        int[] expected = [3, 1, 1, 1, 1, 1, 4, 1, 1, 1, 1, 4, 1, 1];
        Assert.Equal(14, generated.Count);
        Assert.Equal(expected, model.FedLengths);
    }

    [Fact]
    public void Same_seed_gives_the_same_text_and_another_seed_other_text()
    {
        using var model = Create("gpt", 64);
        var generator = new TextGenerator(model, CPU);
        var options = new GenerationOptions { Temperature = 1.0, TopK = 8, TopP = 0.95, MaxTokens = 40, Seed = 1234 };

        var first = generator.Generate(Prompt, options).ToList();
        rand(1000); // the global generator moves on; generation must not depend on it
        var second = generator.Generate(Prompt, options).ToList();
        var otherSeed = generator.Generate(Prompt, options with { Seed = 4321 }).ToList();

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Theory]
    [InlineData("gpt")]
    [InlineData("lstm")]
    public void Live_tensor_count_stays_flat_over_200_decode_steps(string kind)
    {
        // Block size 64 makes the GPT restart its cache three times within the 200 steps.
        using var model = Create(kind, 64);
        var generator = new TextGenerator(model, CPU);
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var liveAfterStep = new List<long>();

        foreach (var _ in generator.Generate(Prompt, new GenerationOptions { Temperature = 0.9, MaxTokens = 200, Seed = 3 }))
            liveAfterStep.Add(stats.ThreadTotalLiveCount);

        Assert.Equal(200, liveAfterStep.Count);
        Assert.True(liveAfterStep.Min() == liveAfterStep.Max(), $"live tensors drifted from {liveAfterStep.Min()} to {liveAfterStep.Max()}");
    }

    [Fact]
    public void Ids_stream_as_produced_and_stopping_early_restores_training_mode()
    {
        using var model = Create("gpt", 16);
        model.train();
        var generator = new TextGenerator(model, CPU);

        using (var enumerator = generator.Generate(Prompt, new GenerationOptions { MaxTokens = 1000, Seed = 1 }).GetEnumerator())
        {
            Assert.True(enumerator.MoveNext());
            Assert.False(model.training); // decoding runs in eval mode
        }

        Assert.True(model.training);
    }

    [Fact]
    public void Cancellation_stops_generation_between_tokens()
    {
        using var model = Create("lstm", 0);
        using var cts = new CancellationTokenSource();
        var generated = new List<int>();

        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var id in new TextGenerator(model, CPU).Generate(Prompt, new GenerationOptions { MaxTokens = 100, Seed = 2 }, cts.Token))
            {
                generated.Add(id);
                if (generated.Count == 3) cts.Cancel();
            }
        });
        Assert.Equal(3, generated.Count);
    }

    [Theory]
    [InlineData(nameof(GenerationOptions.Temperature))]
    [InlineData(nameof(GenerationOptions.TopK))]
    [InlineData(nameof(GenerationOptions.TopP))]
    [InlineData(nameof(GenerationOptions.MaxTokens))]
    public void Invalid_options_are_rejected_before_any_decoding_naming_the_option(string option)
    {
        using var model = Create("gpt", 16);
        var options = option switch
        {
            nameof(GenerationOptions.Temperature) => new GenerationOptions { Temperature = -0.5 },
            nameof(GenerationOptions.TopK) => new GenerationOptions { TopK = 0 },
            nameof(GenerationOptions.TopP) => new GenerationOptions { TopP = 1.5 },
            _ => new GenerationOptions { MaxTokens = -1 },
        };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TextGenerator(model, CPU).Generate(Prompt, options));
        Assert.Equal(option, error.ParamName);
    }

    [Fact]
    public void Prompt_ids_outside_the_vocabulary_are_rejected()
    {
        using var model = Create("gpt", 16);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TextGenerator(model, CPU).Generate([1, GenerationModels.VocabSize], new GenerationOptions()));
        Assert.Contains("position 1", error.Message);
    }

    /// <summary>
    /// The reference: the same window policy and sampler as TextGenerator, but a full forward over the window for every
    /// token, so any difference comes from incremental decoding.
    /// </summary>
    private static List<int> ByFullRecomputation(LanguageModel model, IReadOnlyList<int> prompt, GenerationOptions options)
    {
        var limit = model.MaxDecodingLength ?? int.MaxValue;
        var context = prompt.ToList();
        var start = Math.Max(0, context.Count - limit);
        var produced = new List<int>();
        using var generator = new Generator(options.Seed ?? 0, CPU);
        model.eval();
        for (var i = 0; i < options.MaxTokens; i++)
        {
            if (context.Count - start > limit) start = context.Count - Math.Max(1, limit / 2);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var window = context.Skip(start).Select(id => (long)id).ToArray();
            var logits = model.forward(tensor(window, [1, window.Length]));
            var next = TokenSampler.Sample(logits[0, -1], options, generator);
            context.Add(next);
            produced.Add(next);
        }
        return produced;
    }

    /// <summary>Records how many tokens each incremental call feeds, delegating everything to the wrapped model.</summary>
    private sealed class CountingModel : LanguageModel
    {
        private readonly LanguageModel _inner;

        public CountingModel(LanguageModel inner) : base(nameof(CountingModel), inner.Config)
        {
            _inner = inner;
            RegisterComponents();
        }

        public List<int> FedLengths { get; } = [];

        public override int SegmentCount => _inner.SegmentCount;
        public override int? MaxDecodingLength => _inner.MaxDecodingLength;
        public override Tensor forward(Tensor idx) => _inner.forward(idx);
        public override DecodingState CreateDecodingState(int batchSize, Device device) => _inner.CreateDecodingState(batchSize, device);
        public override Tensor ForwardSegment(int index, Tensor input) => _inner.ForwardSegment(index, input);
        public override IReadOnlyList<Parameter> SegmentParameters(int index) => _inner.SegmentParameters(index);

        public override Tensor ForwardIncremental(Tensor idx, DecodingState state)
        {
            FedLengths.Add((int)idx.shape[1]);
            return _inner.ForwardIncremental(idx, state);
        }
    }
}
