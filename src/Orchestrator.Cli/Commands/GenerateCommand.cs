using System.CommandLine;
using System.Text;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Inference.Generation;
using Orchestrator.Inference;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator generate</c>: streams a continuation of a prompt to standard output as it is produced.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint directory (or a run directory: its latest checkpoint; or a Hugging Face GPT-2 directory)" };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue [default: a line break]", DefaultValueFactory = _ => "\n" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 200 }.AtLeast(0);
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.8 }.AtLeast(0, "0 = greedy");
        var topK = new Option<int?>("--top-k") { Description = "Sample only from the k most likely tokens [default: none, all tokens]" }.AtLeast(1);
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling: smallest set with this total probability [default: none, all tokens]" }.Between(0, 1, minimumExcluded: true);
        var seed = new Option<ulong?>("--seed") { Description = "Seed for reproducible sampling [default: none, a new sample each run]" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0 = all cores)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var command = new Command("generate", "Generate text from a checkpoint") { checkpoint, prompt, maxTokens, temperature, topK, topP, seed, device, threads };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new GenerationOptions
            {
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
            };
            options.Validate();
            TorchThreads.Set(parse.GetValue(threads));
            using var model = TrainedModel.Load(parse.GetValue(checkpoint)!, TorchDevices.Parse(parse.GetValue(device)!));
            var promptText = parse.GetValue(prompt)!;
            var promptIds = model.Tokenizer.Encode(Encoding.UTF8.GetBytes(promptText));
            if (promptIds.Length == 0)
                throw new ArgumentException("--prompt encodes to no tokens: give at least one character");

            using var stdout = Console.OpenStandardOutput();
            stdout.Write(Encoding.UTF8.GetBytes(promptText));
            var generator = new TextGenerator(model.Model, model.Device);
            Span<int> one = stackalloc int[1];
            foreach (var id in generator.Generate(promptIds, options, cancellationToken))
            {
                // Byte-level tokens may split a UTF-8 character; the terminal reassembles the raw bytes.
                one[0] = id;
                stdout.Write(model.Tokenizer.Decode(one));
                stdout.Flush();
            }
            stdout.Write("\n"u8);
            return Task.FromResult(0);
        });
        return command;
    }
}
