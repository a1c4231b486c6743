using Orchestrator.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Lora;

public sealed class LoraTests
{
    private static readonly LoraConfig AllTargets = new() { Rank = 3, Alpha = 6, Targets = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"] };

    [Fact]
    public void With_B_zero_the_adapted_model_gives_the_base_models_logits()
    {
        using var scope = NewDisposeScope();
        var baseModel = TinyModels.Create(TinyModels.Gpt());
        var adapted = TinyModels.Create(TinyModels.Gpt() with { Lora = AllTargets }, seed: 99);
        CopyBase(baseModel, adapted);
        var tokens = TinyModels.Tokens(2, 10, 11, seed: 4);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(baseModel.forward(tokens), adapted.forward(tokens)));
    }

    [Fact]
    public void An_adapted_layer_adds_alpha_over_r_times_B_A_x()
    {
        using var scope = NewDisposeScope();
        var layer = TinyModels.Seeded(7, () => new LoraLinear(5, 4, hasBias: true, new LoraConfig { Rank = 2, Alpha = 3 }));
        var p = layer.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad())
        {
            foreach (var parameter in p.Values) parameter.normal_();
        }
        var x = randn(3, 5);
        var expected = x.matmul(p["weight"].t()) + p["bias"] + 1.5 * x.matmul(p["lora_A"].t()).matmul(p["lora_B"].t());
        Assert.True(TinyModels.MaxAbsDiff(layer.forward(x), expected) < 1e-5);
        Assert.Equal([2L, 5L], p["lora_A"].shape);
        Assert.Equal([4L, 2L], p["lora_B"].shape);
    }

    [Fact]
    public void Only_the_adapters_of_the_targeted_layers_train()
    {
        using var model = TinyModels.Create(TinyModels.Gpt() with { Lora = new LoraConfig { Targets = ["c_attn", "mlp.c_proj"] } });
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order().ToArray();
        string[] expected =
        [
            "h.0.attn.c_attn.lora_A", "h.0.attn.c_attn.lora_B", "h.0.mlp.c_proj.lora_A", "h.0.mlp.c_proj.lora_B",
            "h.1.attn.c_attn.lora_A", "h.1.attn.c_attn.lora_B", "h.1.mlp.c_proj.lora_A", "h.1.mlp.c_proj.lora_B",
        ];
        Assert.Equal(expected.Order(), trainable);
        Assert.All(model.named_parameters().Where(p => p.name.EndsWith(".lora_B")), p => Assert.Equal(0.0, p.parameter.abs().max().item<float>()));
        // The base keeps its names, so base weights load into the adapted model unchanged.
        Assert.Contains("h.0.attn.c_attn.weight", model.state_dict().Keys);
    }

    [Fact]
    public void Gradients_reach_the_adapters_and_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt() with { Lora = AllTargets, Dropout = 0 }, dtype: ScalarType.Float64);
        var lora = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad()) lora["h.1.mlp.c_fc.lora_B"].normal_(0, 0.3);
        var tokens = TinyModels.Tokens(2, 6, 11, seed: 8);
        Tensor Loss() => nn.functional.cross_entropy(model.forward(tokens).reshape(-1, 11), tokens.roll(1, 1).reshape(-1));
        Loss().backward();
        foreach (var name in new[] { "h.0.attn.c_attn.lora_A", "h.1.mlp.c_fc.lora_B" })
        {
            var parameter = lora[name];
            var analytic = parameter.grad!.reshape(-1)[3].item<double>();
            const double h = 1e-6;
            double At(double delta)
            {
                using var noGrad = no_grad();
                parameter.reshape(-1)[3] += delta;
                var value = Loss().item<double>();
                parameter.reshape(-1)[3] -= delta;
                return value;
            }
            var numeric = (At(h) - At(-h)) / (2 * h);
            Assert.True(Math.Abs(analytic - numeric) < 1e-6, $"{name}: analytic {analytic}, numeric {numeric}");
        }
        Assert.Null(lora["h.0.attn.c_attn.weight"].grad);
    }

    [Fact]
    public void Unknown_targets_are_refused_naming_the_known_ones()
    {
        var error = Assert.Throws<InvalidModelConfigException>(() => (TinyModels.Gpt() with { Lora = new LoraConfig { Targets = ["q_proj"] } }).Validate());
        Assert.Contains("q_proj", error.Message);
        Assert.Contains("mlp.c_proj", error.Message);
    }

    [Fact]
    public void The_tanh_activation_is_GPT2s_gelu_new()
    {
        var x = linspace(-6, 6, 101, dtype: ScalarType.Float64);
        using var scope = NewDisposeScope();
        var expected = 0.5 * x * (1 + tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))));
        var exact = TinyModels.Create(TinyModels.Gpt(), seed: 5);
        var tanhModel = TinyModels.Create(TinyModels.Gpt() with { Activation = "gelu_new" }, seed: 5);
        var tokens = TinyModels.Tokens(1, 8, 11, seed: 2);
        Assert.True(TinyModels.MaxAbsDiff(exact.forward(tokens), tanhModel.forward(tokens)) > 0, "the activation option changes nothing");
        Assert.True(TinyModels.MaxAbsDiff(nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh), expected) < 1e-12);
    }

    private static void CopyBase(LanguageModel from, LanguageModel to)
    {
        var source = from.state_dict();
        using var noGrad = no_grad();
        foreach (var (name, target) in to.state_dict())
            if (!LoraWeights.IsAdapter(name)) target.copy_(source[name]);
    }
}
