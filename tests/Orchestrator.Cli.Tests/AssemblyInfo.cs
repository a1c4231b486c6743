// The in-process runs redirect the process-wide Console.Out and Console.Error: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
