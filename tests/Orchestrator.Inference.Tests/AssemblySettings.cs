// libtorch's random generator and thread count are process-wide: generators in parallel tests would perturb each other's
// initialisation and dropout, so this assembly's tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
