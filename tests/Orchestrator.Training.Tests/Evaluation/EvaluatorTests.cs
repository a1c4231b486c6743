using System.Text;
using Orchestrator.Models;
using Orchestrator.Training.Evaluation;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.Evaluation;

public sealed class EvaluatorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Bits_per_byte_of_a_uniform_model_is_log2_vocab_times_tokens_per_byte()
    {
        // "é" and "ö" take two UTF-8 bytes but one char token, so tokens and bytes differ.
        const string val = "héllo wörld, héllo wörld. ";
        var text = string.Concat(Enumerable.Repeat(val, 12));
        using var data = TinyDatasets.Create(_temp.Sub("data"), train: text, val: text);
        var config = TestConfigs.Tiny(data.Meta.VocabSize);
        manual_seed(3);
        using var model = ModelFactory.Create(config.Model);
        // All-zero weights (LayerNorm gains included) make every logit 0: each prediction is uniform over V ids.
        using (no_grad())
            foreach (var p in model.parameters()) p.zero_();

        using var evaluator = new Evaluator(model, data, "val", batchSize: 3, CPU);
        var result = await evaluator.EvaluateAsync();

        var vocab = data.Meta.VocabSize;
        var tokens = data.Meta.Splits["val"].Tokens;
        var bytes = data.Meta.Splits["val"].Bytes;
        Assert.Equal(Encoding.UTF8.GetByteCount(text), bytes);
        Assert.Equal(text.Length, tokens);
        Assert.Equal(Math.Log(vocab), result.Loss, 5);
        Assert.Equal(vocab, result.Perplexity, 3);
        Assert.Equal(Math.Log2(vocab) * tokens / bytes, result.BitsPerByte!.Value, 5);
        Assert.Equal((tokens - 1) / 16 * 16, result.Tokens);
    }

    [Fact]
    public void Bits_per_byte_formula_matches_a_hand_computation()
    {
        // 2.0 nats per token, 1000 tokens for 4000 bytes: 2000 nats / 4000 bytes = 0.5 nats/byte = 0.5 / ln 2 bits/byte.
        Assert.Equal(0.5 / Math.Log(2), EvaluationResult.ToBitsPerByte(2.0, 1000, 4000)!.Value, 12);
        Assert.Null(EvaluationResult.ToBitsPerByte(2.0, 1000, 0));
    }

    [Fact]
    public async Task Loss_equals_the_mean_over_all_non_overlapping_windows_scored_one_by_one()
    {
        using var data = TinyDatasets.Words(_temp.Sub("data"), trainChars: 400, valChars: 200);
        var config = TestConfigs.Tiny(data.Meta.VocabSize);
        manual_seed(11);
        using var model = ModelFactory.Create(config.Model);
        using var evaluator = new Evaluator(model, data, "val", batchSize: 5, CPU);
        var result = await evaluator.EvaluateAsync();

        var shard = data.Split("val");
        var all = new long[shard.Length];
        shard.Read(0, all);
        model.eval();
        double total = 0;
        var windows = (all.Length - 1) / 16;
        using (no_grad())
        {
            for (var w = 0; w < windows; w++)
            {
                using var input = tensor(all.AsSpan(w * 16, 16).ToArray()).reshape(1, 16);
                using var target = tensor(all.AsSpan(w * 16 + 1, 16).ToArray());
                using var logits = model.call(input);
                total += nn.functional.cross_entropy(logits.reshape(16, -1), target).item<float>() * 16;
            }
        }
        Assert.Equal(windows * 16, result.Tokens);
        Assert.Equal(total / (windows * 16), result.Loss, 5);
    }

    [Fact]
    public async Task Two_ranks_together_report_what_one_rank_reports_alone()
    {
        using var data = TinyDatasets.Words(_temp.Sub("data"), trainChars: 400, valChars: 300);
        var config = TestConfigs.Tiny(data.Meta.VocabSize);
        manual_seed(13);
        using var model = ModelFactory.Create(config.Model);
        using var alone = new Evaluator(model, data, "val", batchSize: 4, CPU);
        var expected = await alone.EvaluateAsync(maxWindows: 9);

        var group = new InProcessGroup(2);
        using var first = new Evaluator(model, data, "val", batchSize: 4, CPU);
        using var second = new Evaluator(model, data, "val", batchSize: 4, CPU);
        var results = await Task.WhenAll(first.EvaluateAsync(9, group.Ranks[0]), second.EvaluateAsync(9, group.Ranks[1]));

        Assert.All(results, r => Assert.Equal(expected.Loss, r.Loss, 5));
        Assert.All(results, r => Assert.Equal(expected.Tokens, r.Tokens));
        Assert.Equal(9 * 16, expected.Tokens);
    }

    [Fact]
    public void Capped_windows_are_spread_over_the_split()
    {
        // 4 of 10 windows: indices floor(j·10/4) = 0, 2, 5, 7.
        Assert.Equal([0L, 32, 80, 112], Enumerable.Range(0, 4).Select(j => Evaluator.WindowStart(j, 4, 10, 16)));
        Assert.Equal([0L, 16, 32], Enumerable.Range(0, 3).Select(j => Evaluator.WindowStart(j, 3, 3, 16)));
    }

    public void Dispose() => _temp.Dispose();
}
