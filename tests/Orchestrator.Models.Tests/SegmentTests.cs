using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests;

/// <summary>
/// Segments let the trainer run backward one segment at a time and ship finished gradients early; that is only
/// sound if the segments compose to the model and their gradients equal those of one backward pass.
/// </summary>
public sealed class SegmentTests
{
    public static TheoryData<string, bool> Models => new()
    {
        { "gpt", true }, { "gpt", false }, { "lstm", true }, { "lstm", false }, { "gru", true }, { "rnn", false },
    };

    private static LanguageModel Create(string kind, bool tie) =>
        TinyModels.Create(kind == "gpt" ? TinyModels.Gpt(tie: tie) : TinyModels.Recurrent(kind, tie: tie));

    [Theory]
    [MemberData(nameof(Models))]
    public void Composing_the_segments_equals_forward(string kind, bool tie)
    {
        using var scope = NewDisposeScope();
        var model = Create(kind, tie);
        var tokens = TinyModels.Tokens(2, 10, 11, seed: 31);

        var x = tokens;
        for (var segment = 0; segment < model.SegmentCount; segment++)
            x = model.ForwardSegment(segment, x);

        Assert.Equal(0.0, TinyModels.MaxAbsDiff(x, model.forward(tokens)));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Segment_by_segment_backward_gives_the_gradients_of_one_backward(string kind, bool tie)
    {
        using var scope = NewDisposeScope();
        var model = Create(kind, tie);
        var tokens = TinyModels.Tokens(2, 10, 11, seed: 32);
        var targets = TinyModels.Tokens(2, 10, 11, seed: 33);
        Tensor Loss(Tensor logits) => nn.functional.cross_entropy(logits.view(-1, 11), targets.view(-1));

        Loss(model.forward(tokens)).backward();
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();

        // Forward with each segment's input cut from the graph, then backward from the last segment to the first.
        var inputs = new Tensor[model.SegmentCount];
        var outputs = new Tensor[model.SegmentCount];
        var x = tokens;
        for (var segment = 0; segment < model.SegmentCount; segment++)
        {
            inputs[segment] = segment == 0 ? x : x.detach().requires_grad_();
            outputs[segment] = model.ForwardSegment(segment, inputs[segment]);
            x = outputs[segment];
        }
        Loss(outputs[^1]).backward();
        for (var segment = model.SegmentCount - 2; segment >= 0; segment--)
            outputs[segment].backward([inputs[segment + 1].grad!]);

        foreach (var (name, parameter) in model.named_parameters())
            Assert.True(TinyModels.MaxAbsDiff(parameter.grad!, expected[name]) == 0.0, $"{kind} {name}: max difference {TinyModels.MaxAbsDiff(parameter.grad!, expected[name])}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Segment_parameters_partition_the_model_parameters(string kind, bool tie)
    {
        using var model = Create(kind, tie);
        var all = model.parameters().ToList();
        var bySegment = Enumerable.Range(0, model.SegmentCount).SelectMany(model.SegmentParameters).ToList();

        Assert.Equal(all.Count, bySegment.Count);
        // Same storage, each exactly once: compare by identity of the native tensor's data.
        Assert.Equal(all.Select(StorageKey).Order(), bySegment.Select(StorageKey).Order());
        Assert.Equal(all.Count, all.Select(StorageKey).Distinct().Count());
        // The tied weight (the embedding) belongs to segment 0, whose backward completes its gradient.
        var embedding = model.named_parameters().Single(p => p.name == "wte.weight").parameter;
        Assert.Contains(StorageKey(embedding), model.SegmentParameters(0).Select(StorageKey));
    }

    private static (IntPtr, long) StorageKey(Tensor t) => (t.storage<float>().data_ptr(), t.storage_offset());
}
