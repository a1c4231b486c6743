using System.Text.Json;
using Orchestrator.Models;
using Orchestrator.Training.Tests.TestSupport;

namespace Orchestrator.Training.Tests;

public sealed class RunConfigTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void Json_uses_snake_case_names_and_round_trips()
    {
        var config = TestConfigs.Tiny(65) with { Training = TestConfigs.Tiny(65).Training with { LrDecaySteps = 40, Device = "cuda:1" } };
        var path = _temp.Sub("config.json");
        config.Save(path);

        var json = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        var training = json.GetProperty("training");
        Assert.Equal(65, json.GetProperty("model").GetProperty("vocab_size").GetInt32());
        Assert.Equal(40, training.GetProperty("lr_decay_steps").GetInt32());
        Assert.Equal(4, training.GetProperty("batch_size").GetInt32());
        Assert.Equal("cuda:1", training.GetProperty("device").GetString());
        Assert.True(training.GetProperty("overlap_communication").GetBoolean());
        Assert.Equal(config, RunConfig.Load(path));
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = RunConfig.Load(WriteJson("""{"model": {"vocab_size": 65}, "training": {"max_steps": 100}}""")).Training;
        Assert.Equal((0.1, 0.9, 0.95, 1.0), (options.WeightDecay, options.Beta1, options.Beta2, options.GradClip));
        Assert.Equal("cosine", options.LrSchedule);
        Assert.Equal(100, options.EffectiveLrDecaySteps);
    }

    [Theory]
    [InlineData("""{"learning_rate": -1}""", "learning_rate")]
    [InlineData("""{"min_lr": 1}""", "min_lr")]
    [InlineData("""{"lr_schedule": "step"}""", "lr_schedule")]
    [InlineData("""{"batch_size": 0}""", "batch_size")]
    [InlineData("""{"grad_accum_steps": 0}""", "grad_accum_steps")]
    [InlineData("""{"beta2": 1.0}""", "beta2")]
    [InlineData("""{"device": "gpu0"}""", "device")]
    [InlineData("""{"warmup_steps": 5000, "max_steps": 100}""", "warmup_steps")]
    public void Validation_names_the_bad_option(string training, string option)
    {
        var config = RunConfig.Load(WriteJson($$"""{"model": {"vocab_size": 65}, "training": {{training}}}"""));
        var error = Assert.Throws<InvalidRunConfigException>(config.Validate);
        Assert.Contains($"training option {option} =", error.Message);
    }

    [Fact]
    public void A_bad_model_section_is_reported_by_the_model_config()
    {
        var config = RunConfig.Load(WriteJson("""{"model": {"vocab_size": 65, "n_embd": 30, "n_head": 4}}"""));
        var error = Assert.Throws<InvalidModelConfigException>(config.Validate);
        Assert.Contains("n_head", error.Message);
    }

    [Fact]
    public void Broken_json_fails_naming_the_file()
    {
        var path = WriteJson("""{"model": """);
        var error = Assert.Throws<InvalidRunConfigException>(() => RunConfig.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_job_config_without_vocab_size_is_checked_before_the_data_and_takes_the_vocabulary_of_the_data_it_opens()
    {
        var submitted = TestConfigs.Tiny(0);

        submitted.ValidateBeforeData();
        Assert.Throws<InvalidModelConfigException>(submitted.Validate);
        Assert.Equal(65, submitted.WithVocabularyOf(65).Model.VocabSize);
        Assert.Equal(100, TestConfigs.Tiny(100).WithVocabularyOf(65).Model.VocabSize);
    }

    [Fact]
    public void Checking_before_the_data_still_refuses_every_other_bad_field()
    {
        var config = TestConfigs.Tiny(0) with { Model = TestConfigs.Tiny(0).Model with { NHead = 3 } };

        var error = Assert.Throws<InvalidModelConfigException>(config.ValidateBeforeData);

        Assert.Contains("n_head", error.Message);
    }

    private string WriteJson(string json)
    {
        var path = _temp.Sub($"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    public void Dispose() => _temp.Dispose();
}
