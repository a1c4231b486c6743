using System.Text.Json;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.DataParallel;

/// <summary>
/// What the 2-worker run leaves behind is an ordinary checkpoint: <c>eval</c> and <c>generate</c> load it through its
/// <c>latest</c> pointer, and PyTorch-side tooling can read its weights without any of our code.
/// </summary>
[Collection(DataParallelCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class DistributedCheckpointTests(DataParallelRuns runs)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task Eval_of_the_two_worker_checkpoint_prints_finite_loss_perplexity_and_bits_per_byte()
    {
        var result = await OrchestratorCli.SucceedAsync("eval", TinyGpt.Latest(runs.TwoWorkers.Directory), "--data", runs.Data, "--split", "test", "--threads", "1");
        var json = JsonDocument.Parse(Assert.Single(result.StdoutLines)).RootElement;
        var loss = json.GetProperty("loss").GetDouble();
        Assert.InRange(loss, 3.0, 4.2);
        Assert.Equal(Math.Exp(loss), json.GetProperty("perplexity").GetDouble(), 1e-9 * Math.Exp(loss));
        // Plain ASCII with a char tokenizer: one token per byte, so bits per byte is the loss in bits.
        Assert.Equal(loss / Math.Log(2), json.GetProperty("bits_per_byte").GetDouble(), 1e-9);
        var testTokens = new FileInfo(Path.Combine(runs.Data, "test.bin")).Length / sizeof(ushort);
        Assert.InRange(json.GetProperty("tokens").GetInt64(), testTokens / 2, testTokens);

        var single = await OrchestratorCli.SucceedAsync("eval", TinyGpt.Latest(runs.OneWorker.Directory), "--data", runs.Data, "--split", "test", "--threads", "1");
        Assert.Equal(loss, JsonDocument.Parse(single.LastStdoutLine).RootElement.GetProperty("loss").GetDouble(), 1e-5);
    }

    [Fact]
    public async Task Generate_from_the_two_worker_checkpoint_continues_the_prompt_with_vocabulary_characters()
    {
        string[] arguments = ["generate", TinyGpt.Latest(runs.TwoWorkers.Directory), "--prompt", "ROMEO:", "--max-tokens", "20", "--seed", "1", "--temperature", "0", "--threads", "1"];
        var first = await OrchestratorCli.SucceedAsync(arguments);
        var text = first.Stdout;
        Assert.StartsWith("ROMEO:", text);
        Assert.EndsWith("\n", text);
        // A char model: 20 tokens are 20 characters, each one of the corpus's characters.
        var continuation = text["ROMEO:".Length..^1];
        Assert.Equal(20, continuation.Length);
        var vocabulary = File.ReadAllText(Path.Combine(runs.Data, "..", "corpus.txt")).ToHashSet();
        Assert.All(continuation, c => Assert.Contains(c, vocabulary));

        var again = await OrchestratorCli.SucceedAsync(arguments);
        Assert.Equal(text, again.Stdout);
    }

    [Fact]
    public async Task Python_reads_the_two_worker_weights_with_the_same_names_shapes_and_values()
    {
        var path = Path.Combine(runs.TwoWorkers.FinalCheckpoint, "model.safetensors");
        var ours = SafetensorsFile.Read(path);
        using var temp = new TempDirectory();
        var script = temp.Sub("read_safetensors.py");
        await File.WriteAllTextAsync(script, ReadSafetensorsScript);

        var python = await ExternalProcess.RunAsync(Python, [script, path, "wte.weight"]);
        Assert.True(python.ExitCode == 0, python.Describe());
        var report = JsonDocument.Parse(python.LastStdoutLine).RootElement;

        var shapes = report.GetProperty("shapes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray());
        Assert.Equal(ours.Keys.Order(StringComparer.Ordinal), shapes.Keys.Order(StringComparer.Ordinal));
        Assert.All(ours.Values, tensor => Assert.Equal(tensor.Shape, shapes[tensor.Name]));
        Assert.Equal([58L, 32L], shapes["wte.weight"]);
        Assert.All(report.GetProperty("dtypes").EnumerateObject(), p => Assert.Equal("F32", p.Value.GetString()));

        var values = report.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        Assert.Equal(ours["wte.weight"].Values, values);
    }

    // Checks what the safetensors library checks (contiguous, in-bounds offsets covering the whole data section) and
    // decodes one tensor with numpy.frombuffer.
    private const string ReadSafetensorsScript = """
        import json, struct, sys
        import numpy as np

        path, name = sys.argv[1], sys.argv[2]
        with open(path, "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n].decode("utf-8"))
        header.pop("__metadata__", None)
        body = data[8 + n:]
        spans = sorted(tuple(v["data_offsets"]) for v in header.values())
        assert spans[0][0] == 0, "data does not start at offset 0"
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), "tensor data is not contiguous"
        assert spans[-1][1] == len(body), "data section has trailing or missing bytes"
        for key, v in header.items():
            count = int(np.prod(v["shape"])) if v["shape"] else 1
            assert v["data_offsets"][1] - v["data_offsets"][0] == 4 * count, key
        entry = header[name]
        begin, end = entry["data_offsets"]
        values = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
        print(json.dumps({
            "shapes": {k: v["shape"] for k, v in header.items()},
            "dtypes": {k: v["dtype"] for k, v in header.items()},
            "values": [float(x) for x in values.ravel()],
        }))
        """;
}
