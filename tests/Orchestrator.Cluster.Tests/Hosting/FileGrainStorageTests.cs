using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Hosting.Storage;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orchestrator.Cluster.Tests.Hosting;

public sealed class FileGrainStorageTests : IDisposable
{
    private static readonly GrainId JobGrain = GrainId.Create("trainingjob", "job/with:odd chars");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"orchestrator-state-{Guid.NewGuid():N}");
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(TrainingJobState).Assembly))
        .BuildServiceProvider();

    [Fact]
    public async Task State_written_by_one_store_is_read_back_by_a_new_store_on_the_same_directory()
    {
        var written = new GrainState<TrainingJobState>(RunningJob(step: 40));
        using (var store = NewStore())
        {
            await store.WriteStateAsync("job", JobGrain, written);
            Assert.True(written.RecordExists);
            Assert.Matches("^[0-9a-f]{32}$", written.ETag);
        }

        using var reopened = NewStore();
        var read = new GrainState<TrainingJobState>(new TrainingJobState());
        await reopened.ReadStateAsync("job", JobGrain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(40, read.State!.Step);
        Assert.Equal(JobState.Running, read.State!.State);
        Assert.Equal("w-1", Assert.Single(read.State!.Members).WorkerId);
        Assert.Equal(written.State!.Spec, read.State!.Spec);
        var file = Assert.Single(Directory.GetFiles(_directory, "*", SearchOption.AllDirectories), f => Path.GetFileName(f) != ".lock");
        Assert.Equal(reopened.PathOf("job", JobGrain), file);
        Assert.DoesNotContain(':', Path.GetFileName(file));
    }

    [Fact]
    public async Task A_missing_grain_reads_as_no_record_and_keeps_its_default_state()
    {
        using var store = NewStore();
        var state = new GrainState<TrainingJobState>(new TrainingJobState { Step = 7 });

        await store.ReadStateAsync("job", GrainId.Create("trainingjob", "never-written"), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(7, state.State!.Step);
    }

    [Fact]
    public async Task Writing_with_a_stale_etag_is_refused_and_leaves_the_newer_state()
    {
        using var store = NewStore();
        var first = new GrainState<TrainingJobState>(RunningJob(step: 1));
        await store.WriteStateAsync("job", JobGrain, first);
        var stale = new GrainState<TrainingJobState>(RunningJob(step: 99), first.ETag);
        first.State!.Step = 2;
        await store.WriteStateAsync("job", JobGrain, first);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => store.WriteStateAsync("job", JobGrain, stale));

        Assert.Contains(store.PathOf("job", JobGrain), error.Message);
        Assert.Equal(first.ETag, error.StoredEtag);
        var read = new GrainState<TrainingJobState>(new TrainingJobState());
        await store.ReadStateAsync("job", JobGrain, read);
        Assert.Equal(2, read.State!.Step);
        // A writer that never read the existing record is refused too.
        await Assert.ThrowsAsync<InconsistentStateException>(
            () => store.WriteStateAsync("job", JobGrain, new GrainState<TrainingJobState>(RunningJob(step: 5))));
    }

    [Fact]
    public async Task Clearing_deletes_the_file_and_a_later_read_finds_no_record()
    {
        using var store = NewStore();
        var state = new GrainState<TrainingJobState>(RunningJob(step: 3));
        await store.WriteStateAsync("job", JobGrain, state);

        await store.ClearStateAsync("job", JobGrain, state);

        Assert.False(File.Exists(store.PathOf("job", JobGrain)));
        Assert.False(state.RecordExists);
        var read = new GrainState<TrainingJobState>(new TrainingJobState());
        await store.ReadStateAsync("job", JobGrain, read);
        Assert.False(read.RecordExists);
        // Clearing made the record absent, so writing again from the cleared state is consistent.
        await store.WriteStateAsync("job", JobGrain, state);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public async Task A_corrupt_state_file_is_reported_with_its_path()
    {
        using var store = NewStore();
        var path = store.PathOf("job", JobGrain);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "not a state file");

        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => store.ReadStateAsync("job", JobGrain, new GrainState<TrainingJobState>(new TrainingJobState())));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_second_store_on_a_directory_in_use_is_refused()
    {
        using var store = NewStore();

        var error = Assert.Throws<IOException>(NewStore);

        Assert.Contains($"'{Path.GetFullPath(_directory)}' is in use by another coordinator", error.Message);
    }

    public void Dispose()
    {
        _services.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private FileGrainStorage NewStore() =>
        new(_directory, new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()));

    private static TrainingJobState RunningJob(long step) => new()
    {
        Spec = new JobSpec { JobId = "j1", DataDir = "/d", RunDir = "/r", WorldSize = 2 },
        State = JobState.Running,
        Step = step,
        Members = [new JobMember { WorkerId = "w-1", Rank = 0, GrpcEndpoint = "127.0.0.1:7000" }],
    };
}
