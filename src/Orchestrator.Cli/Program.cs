using System.CommandLine;
using Orchestrator.Cli;
using Orchestrator.Cli.Commands;

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
return await CliErrors.InvokeAsync(root, args);
