// Usage: OverlapProbe --data DIR --run DIR --steps N --skip K --overlap true|false --world W --threads T --batch-size B
// Trains baby GPT with W rank processes exactly as the worker does (Trainer + CollectiveGradientSynchronizer over a
// loopback gRPC ring), with every gradient exchange timed from the trainer's side, and prints one JSON line.
// The ranks are this executable started again with "rank R" in front of the same arguments.
return args.Length > 0 && args[0] == "rank"
    ? await OverlapProbe.Rank.RunAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), OverlapProbe.ProbeSettings.Parse(args[2..]))
    : await OverlapProbe.Coordinator.RunAsync(args);
