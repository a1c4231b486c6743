// libtorch's random generator is process-wide. A test that seeds it and builds a model (TinyModels.Seeded) must not
// interleave with another test's unseeded draws (dropout in training mode, normal_, randn), or two models built from one
// seed differ now and then and "same seed, same weights" comparisons fail at random. These tests take about a second in
// all, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
