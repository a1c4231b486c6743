using System.CommandLine;
using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli;

/// <summary>Every command of <c>orchestrator</c>, in one tree that the process and the CLI's tests parse alike.</summary>
internal static class CliApp
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Orchestrator: train language models from scratch, on one machine or a cluster")
        {
            PrepareCommand.Create(),
            TrainCommand.Create(),
            EvalCommand.Create(),
            GenerateCommand.Create(),
            TokenizeCommand.Create(),
            CoordinatorCommand.Create(),
            WorkerCommand.Create(),
            SubmitCommand.Create(),
            StatusCommand.Create(),
            CancelCommand.Create(),
            ServeCommand.Create(),
            ReportCommand.Create(),
            ExportCommand.Create(),
        };
        HelpConventions.Apply(root);
        return root;
    }
}
