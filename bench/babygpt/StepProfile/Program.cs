using System.Text.Json;
using StepProfile;

// Usage: StepProfile DATA_DIR THREADS [STEPS=200] [WARMUP=20] [main|new|new-set|new-all] [whole|segments]
//        StepProfile ops THREADS [REPS=200]                       (OpCosts.cs: single ops, to compare with op_costs.py)
// One baby-GPT training step (batch 12 x 64, single process) split into the parts TrainingStep runs (ProfiledSteps.cs).
// Where the steps run, because libgomp keeps one thread pool per thread that starts parallel work:
//   main     set threads, build model and optimizer, and run the steps, all on the main thread;
//   new      build on the main thread, run the steps on a thread started afterwards, as Trainer does (constructor on
//            the caller's thread, loop on TrainingThread's own thread);
//   new-set  as new, calling set_num_threads again first thing on the loop's thread;
//   new-all  everything, set_num_threads included, on one thread started before any libtorch work.
// "segments" runs backward one model segment at a time, as TrainingStep does when it overlaps gradient exchange.
if (args[0] == "ops")
{
    OpCosts.Run(int.Parse(args[1]), args.Length > 2 ? int.Parse(args[2]) : 200);
    return;
}
var (dataDir, threads) = (args[0], int.Parse(args[1]));
var steps = args.Length > 2 ? int.Parse(args[2]) : 200;
var warmup = args.Length > 3 ? int.Parse(args[3]) : 20;
var mode = args.Length > 4 ? args[4] : "main";
var segmented = args.Length > 5 && args[5] == "segments";

ProfiledSteps.Result result;
switch (mode)
{
    case "main":
        result = ProfiledSteps.Build(dataDir, threads).Run(steps, warmup, segmented: segmented);
        break;
    case "new" or "new-set":
        var built = ProfiledSteps.Build(dataDir, threads);
        result = OnNewThread(() => built.Run(steps, warmup, setThreadsFirst: mode == "new-set", segmented: segmented));
        break;
    case "new-all":
        result = OnNewThread(() => ProfiledSteps.Build(dataDir, threads).Run(steps, warmup, segmented: segmented));
        break;
    default:
        throw new ArgumentException($"unknown mode '{mode}': use main, new, new-set or new-all");
}
Console.WriteLine(JsonSerializer.Serialize(result with { LoopThread = mode }));

static T OnNewThread<T>(Func<T> body)
{
    T? value = default;
    var thread = new Thread(() => value = body());
    thread.Start();
    thread.Join();
    return value!;
}
