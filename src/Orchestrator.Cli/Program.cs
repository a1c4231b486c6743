using Orchestrator.Cli;

using var shutdown = ShutdownSignals.Register();
return await CliErrors.InvokeAsync(CliApp.CreateRoot(), args, shutdown.Token);
