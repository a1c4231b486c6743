// libtorch's thread count and random generator are process-wide, and each test runs a coordinator and a worker: one
// test at a time keeps a loaded machine's scheduling out of the timeouts.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
