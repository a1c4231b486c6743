using AllReduceBench;

// Coordinator by default; "worker" when launched by the coordinator as one rank of a ring.
return args.Length > 0 && args[0] == "worker"
    ? await Worker.RunAsync(args[1..])
    : await Coordinator.RunAsync(args);
