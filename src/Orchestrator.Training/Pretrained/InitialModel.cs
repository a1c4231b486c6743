using Orchestrator.Models;

namespace Orchestrator.Training.Pretrained;

/// <summary>
/// A run's model at step 0: built from its config with torch's current RNG (seed it first), then, for a run with
/// <c>init_from</c>, overwritten by the pretrained weights (adapters keep their fresh values). The trainer starts from it
/// and a rollback with no checkpoint yet returns to it.
/// </summary>
public static class InitialModel
{
    public static LanguageModel Create(RunConfig config)
    {
        var model = ModelFactory.Create(config.Model);
        try
        {
            if (config.InitFrom is { } reference)
            {
                var pretrained = PretrainedModel.Open(reference.Path);
                pretrained.EnsureSame(reference, "this run");
                pretrained.LoadInto(model);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
