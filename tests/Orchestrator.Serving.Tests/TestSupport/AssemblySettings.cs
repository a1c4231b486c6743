// The tests count the decoding loop's forwards and libtorch's thread count is process-wide: one test at a time keeps
// those counts and timings about the test that reads them.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
