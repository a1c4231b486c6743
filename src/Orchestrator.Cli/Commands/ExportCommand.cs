using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Inference.Export;
using Orchestrator.Inference;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator export CKPT --format hf --out DIR [--merge]</c>: a checkpoint as a directory other tools load
/// (transformers' GPT2LMHeadModel for <c>hf</c>); prints one JSON line naming the directory and its files.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint directory (or a run directory: its latest checkpoint)" };
        var format = new Option<string>("--format") { Description = "hf (transformers' GPT-2 layout; gpt models) or safetensors (our state dict + config.json; any model)", DefaultValueFactory = _ => "hf" };
        var output = new Option<string>("--out") { Description = "New directory to write (must not exist or be empty)", Required = true };
        var merge = new Option<bool>("--merge") { Description = "Fold LoRA adapters into the weights (needed for a LoRA checkpoint)" };
        var command = new Command("export", "Write a checkpoint's model for other tools (Hugging Face transformers)") { checkpoint, format, output, merge };
        command.SetAction(parse =>
        {
            using var loggers = ConsoleLogging.Create();
            using var trained = TrainedModel.Load(parse.GetValue(checkpoint)!);
            var directory = Path.GetFullPath(parse.GetValue(output)!);
            var files = ModelExport.Write(trained, parse.GetValue(format)!, directory, parse.GetValue(merge), loggers.CreateLogger("export"));
            Console.WriteLine(JsonSerializer.Serialize(new { directory, format = parse.GetValue(format), files }));
            return 0;
        });
        return command;
    }
}
