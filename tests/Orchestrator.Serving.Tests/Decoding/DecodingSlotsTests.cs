using Orchestrator.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Serving.Tests.Decoding;

/// <summary>
/// The batched decoding API the server relies on (<see cref="LanguageModel.ForwardSlots"/>): sequences of different
/// lengths advanced in one forward must get exactly the logits each would get decoded alone with
/// <see cref="LanguageModel.ForwardIncremental"/>, which the Models tests check against a full forward pass.
/// </summary>
public sealed class DecodingSlotsTests
{
    private const double Tolerance = 2e-5;
    private const int Vocab = 13;

    public static TheoryData<string> Kinds => ["gpt", "lstm", "gru", "rnn"];

    private static LanguageModel Create(string kind)
    {
        set_num_threads(1);
        manual_seed(99);
        var model = ModelFactory.Create(new ModelConfig { Model = kind, VocabSize = Vocab, BlockSize = 24, NLayer = 2, NHead = 2, NEmbd = 16 });
        model.eval();
        return model;
    }

    private static long[] Tokens(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (long)random.Next(Vocab)).ToArray();
    }

    /// <summary>Logits of a sequence fed alone: the prompt at once, then one token at a time.</summary>
    private static Tensor Alone(LanguageModel model, long[] tokens, int promptLength)
    {
        using var state = model.CreateDecodingState(1, CPU);
        var pieces = new List<Tensor> { model.ForwardIncremental(tensor(tokens[..promptLength], [1, promptLength]), state) };
        for (var t = promptLength; t < tokens.Length; t++)
            pieces.Add(model.ForwardIncremental(tensor(tokens[t..(t + 1)], [1, 1]), state));
        return cat(pieces, 1)[0]; // (T, V)
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Sequences_of_different_lengths_decoded_together_get_the_logits_they_get_alone(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Create(kind);
        int[] promptLengths = [5, 1, 9];
        var sequences = promptLengths.Select((p, i) => Tokens(p + 8, seed: 10 + i)).ToArray();
        using var slots = model.CreateDecodingSlots(4, CPU);
        // Sequences sit in slots 3, 0, 1 (not in order) and are prefilled together, right-padded to the longest prompt.
        int[] slotOf = [3, 0, 1];
        var time = promptLengths.Max();
        var padded = new long[3 * time];
        for (var row = 0; row < 3; row++) Array.Copy(sequences[row], 0, padded, row * time, promptLengths[row]);
        var prefill = model.ForwardSlots(tensor(padded, [3, time]), promptLengths, slotOf, slots);
        var got = Enumerable.Range(0, 3).Select(row => new List<Tensor> { prefill[row, ..promptLengths[row]] }).ToArray();
        for (var step = 0; step < 8; step++)
        {
            var next = Enumerable.Range(0, 3).Select(row => sequences[row][promptLengths[row] + step]).ToArray();
            var logits = model.ForwardSlots(tensor(next, [3, 1]), [1, 1, 1], slotOf, slots);
            for (var row = 0; row < 3; row++) got[row].Add(logits[row]);
        }

        for (var row = 0; row < 3; row++)
        {
            var expected = Alone(model, sequences[row], promptLengths[row]);
            var difference = (cat(got[row], 0) - expected).abs().max().item<float>();
            Assert.True(difference < Tolerance, $"{kind} row {row}: max |batched - alone| = {difference}");
            Assert.Equal(sequences[row].Length, slots.LengthOf(slotOf[row]));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_sequence_moved_to_another_slot_continues_where_it_was(string kind)
    {
        using var scope = NewDisposeScope();
        var model = Create(kind);
        var tokens = Tokens(12, seed: 5);
        using var slots = model.CreateDecodingSlots(3, CPU);
        var first = model.ForwardSlots(tensor(tokens[..7], [1, 7]), [7], [2], slots);
        slots.Move(2, 0);
        Assert.Equal(0, slots.LengthOf(2));
        Assert.Equal(7, slots.LengthOf(0));
        var rest = model.ForwardSlots(tensor(tokens[7..], [1, 5]), [5], [0], slots);

        var expected = Alone(model, tokens, 7);
        var difference = (cat([first[0], rest[0]], 0) - expected).abs().max().item<float>();
        Assert.True(difference < Tolerance, $"{kind}: max |moved - alone| = {difference}");
    }

    [Fact]
    public void A_cleared_slot_starts_a_new_sequence_from_position_zero()
    {
        using var scope = NewDisposeScope();
        var model = Create("gpt");
        var first = Tokens(10, seed: 1);
        var second = Tokens(6, seed: 2);
        using var slots = model.CreateDecodingSlots(1, CPU);
        model.ForwardSlots(tensor(first, [1, 10]), [10], [0], slots);
        slots.Clear(0);
        var logits = model.ForwardSlots(tensor(second, [1, 6]), [6], [0], slots)[0];

        var difference = (logits - Alone(model, second, 6)).abs().max().item<float>();
        Assert.True(difference < Tolerance, $"max |after clear - alone| = {difference}");
    }

    [Fact]
    public void A_slot_refuses_tokens_beyond_block_size_and_the_batch_is_left_unchanged()
    {
        using var scope = NewDisposeScope();
        var model = Create("gpt");
        using var slots = model.CreateDecodingSlots(2, CPU);
        model.ForwardSlots(tensor(Tokens(20, seed: 3), [1, 20]), [20], [0], slots);

        var error = Assert.Throws<InvalidOperationException>(() =>
            model.ForwardSlots(tensor(Tokens(10, seed: 4), [2, 5]), [5, 5], [1, 0], slots));
        Assert.Contains("Slot 0 holds 20 tokens", error.Message);
        Assert.Contains("block_size is 24", error.Message);
        Assert.Equal(20, slots.LengthOf(0));
        Assert.Equal(0, slots.LengthOf(1));
        Assert.Equal(24, slots.Capacity);
    }

    [Fact]
    public void A_batch_naming_a_slot_twice_is_refused()
    {
        using var scope = NewDisposeScope();
        var model = Create("gpt");
        using var slots = model.CreateDecodingSlots(2, CPU);
        var error = Assert.Throws<ArgumentException>(() => model.ForwardSlots(tensor(Tokens(2, seed: 1), [2, 1]), [1, 1], [1, 1], slots));
        Assert.Contains("Slot 1 appears twice", error.Message);
    }
}
