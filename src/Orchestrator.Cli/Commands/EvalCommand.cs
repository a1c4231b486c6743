using System.CommandLine;
using Orchestrator.Data;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Evaluation;
using Orchestrator.Inference;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator eval</c>: loss, perplexity and bits per byte of a checkpoint on a whole split, as one JSON line.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint directory (or a run directory: its latest checkpoint; or a Hugging Face GPT-2 directory)" };
        var data = new Option<string>("--data") { Description = "Data directory written by `prepare`", Required = true };
        var split = new Option<string>("--split") { Description = "val or test", DefaultValueFactory = _ => "val" };
        var batchSize = new Option<int>("--batch-size") { Description = "Windows per forward pass", DefaultValueFactory = _ => 16 }.AtLeast(1);
        var maxWindows = new Option<long?>("--max-windows") { Description = "Evaluate only this many block-size windows, spread over the split [default: all]" }.AtLeast(1);
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0 = all cores)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var command = new Command("eval", "Evaluate a checkpoint on a split") { checkpoint, data, split, batchSize, maxWindows, device, threads };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var splitName = parse.GetValue(split)!;
            if (splitName is not ("val" or "test" or "train"))
                throw new ArgumentException($"--split must be val or test (got '{splitName}')");
            TorchThreads.Set(parse.GetValue(threads));
            using var model = TrainedModel.Load(parse.GetValue(checkpoint)!, TorchDevices.Parse(parse.GetValue(device)!));
            using var dataset = PreparedDataset.Open(parse.GetValue(data)!);
            TrainedModelCompatibility.EnsureMatches(model, dataset);
            using var evaluator = new Evaluator(model.Model, dataset, splitName, parse.GetValue(batchSize), model.Device);
            var result = await evaluator.EvaluateAsync(parse.GetValue(maxWindows), cancellationToken: cancellationToken);
            Console.WriteLine(result.ToJsonLine());
            return 0;
        });
        return command;
    }
}
