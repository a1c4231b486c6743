using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Grains;

public sealed class JobSpecValidationTests
{
    private static readonly JobSpec Valid = new()
    {
        JobId = "shakespeare-1",
        DataDir = "/data/shakespeare",
        RunDir = "/runs/shakespeare-1",
        ConfigJson = """{"n_layer":2}""",
        WorldSize = 4,
        MinWorkers = 2,
        MaxWorkers = 8,
    };

    [Fact]
    public void A_complete_spec_passes()
    {
        Assert.Same(Valid, ValidJobSpec.From(Valid).Spec);
        Assert.Equal(2, Valid.EffectiveMinWorkers);
        Assert.Equal(8, Valid.EffectiveMaxWorkers);
    }

    [Fact]
    public void Min_and_max_workers_default_to_the_world_size()
    {
        var spec = Valid with { MinWorkers = null, MaxWorkers = null };
        Assert.Equal(4, spec.EffectiveMinWorkers);
        Assert.Equal(4, spec.EffectiveMaxWorkers);
    }

    public static TheoryData<JobSpec, string, string> Broken() => new()
    {
        { Valid with { JobId = "" }, nameof(JobSpec.JobId), "job id ''" },
        { Valid with { JobId = "has space" }, nameof(JobSpec.JobId), "'has space'" },
        { Valid with { JobId = "-leading-dash" }, nameof(JobSpec.JobId), "'-leading-dash'" },
        { Valid with { DataDir = " " }, nameof(JobSpec.DataDir), "no data dir" },
        { Valid with { RunDir = "" }, nameof(JobSpec.RunDir), "no run dir" },
        { Valid with { ConfigJson = "{\"n_layer\":" }, nameof(JobSpec.ConfigJson), "not valid JSON" },
        { Valid with { ConfigJson = "[1,2]" }, nameof(JobSpec.ConfigJson), "JSON Array, not an object" },
        { Valid with { WorldSize = 0, MinWorkers = null, MaxWorkers = null }, nameof(JobSpec.WorldSize), "world size 0" },
        { Valid with { MinWorkers = 5 }, nameof(JobSpec.MinWorkers), "min workers 5" },
        { Valid with { MinWorkers = 0 }, nameof(JobSpec.MinWorkers), "min workers 0" },
        { Valid with { MaxWorkers = 3 }, nameof(JobSpec.MaxWorkers), "max workers 3, below its world size 4" },
        { Valid with { MaxRestarts = -1 }, nameof(JobSpec.MaxRestarts), "max restarts -1" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_spec_is_refused_naming_the_field_and_value(JobSpec spec, string field, string messagePart)
    {
        var error = Assert.Throws<InvalidJobSpecException>(() => ValidJobSpec.From(spec));
        Assert.Equal(field, error.Field);
        Assert.Contains(messagePart, error.Message);
    }
}
