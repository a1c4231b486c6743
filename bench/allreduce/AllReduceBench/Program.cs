using AllReduceBench;

// Coordinator by default; the other modes are the processes the coordinator launches.
return args.Length > 0 && args[0] == "worker" ? await Worker.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "stream-server" ? await StreamCeiling.ServeAsync()
    : args.Length > 0 && args[0] == "stream-client" ? await StreamCeiling.ReadAsync(args[1..])
    : await Coordinator.RunAsync(args);
