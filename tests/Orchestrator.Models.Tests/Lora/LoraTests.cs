using Orchestrator.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Lora;

public sealed class LoraTests
{
    private static readonly LoraConfig AllTargets = new() { Rank = 3, Alpha = 6, Targets = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"] };
    private static readonly LoraConfig AllTargetsAndEmbedding = AllTargets with { EmbeddingRank = 2 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void At_the_start_the_adapted_model_gives_the_base_models_logits(bool embedding)
    {
        using var scope = NewDisposeScope();
        var baseModel = TinyModels.Create(TinyModels.Gpt());
        var adapted = TinyModels.Create(TinyModels.Gpt() with { Lora = embedding ? AllTargetsAndEmbedding : AllTargets }, seed: 99);
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
    public void An_embedding_adapter_adds_alpha_over_r_times_A_B_to_the_looked_up_rows_and_the_tied_head()
    {
        using var scope = NewDisposeScope();
        var layer = TinyModels.Seeded(7, () => new LoraEmbedding(11, 6, new LoraConfig { EmbeddingRank = 2, Alpha = 3 }));
        var p = layer.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        Assert.Equal([11L, 2L], p["lora_A"].shape);
        Assert.Equal([2L, 6L], p["lora_B"].shape);
        Assert.Equal(0.0, p["lora_A"].abs().max().item<float>());
        using (no_grad())
        {
            foreach (var parameter in p.Values) parameter.normal_();
        }
        // By hand: the effective table is E + 1.5·A·B, read row by row for the input and multiplied for the head.
        var table = (p["weight"] + 1.5 * p["lora_A"].matmul(p["lora_B"])).data<float>().ToArray();
        var tokens = TinyModels.Tokens(2, 5, 11, seed: 3);
        var rows = layer.forward(tokens);
        Assert.Equal([2L, 5L, 6L], rows.shape);
        var ids = tokens.data<long>().ToArray();
        var looked = rows.reshape(-1, 6).data<float>().ToArray();
        for (var i = 0; i < ids.Length; i++)
            for (var c = 0; c < 6; c++)
                Assert.True(Math.Abs(looked[i * 6 + c] - table[ids[i] * 6 + c]) < 1e-5, $"row {i}, column {c}");
        var h = randn(3, 6);
        var expected = h.matmul(tensor(table, [11, 6]).t());
        Assert.True(TinyModels.MaxAbsDiff(layer.Logits(h), expected) < 1e-5);
    }

    [Fact]
    public void A_model_with_trained_adapters_gives_the_logits_of_its_merged_weights()
    {
        using var scope = NewDisposeScope();
        var adapted = TinyModels.Create(TinyModels.Gpt() with { Lora = AllTargetsAndEmbedding }, seed: 21);
        using (no_grad())
        {
            foreach (var (name, parameter) in adapted.named_parameters())
                if (LoraWeights.IsAdapter(name)) parameter.normal_(0, 0.3);
        }
        var merged = LoraWeights.Merged(adapted);
        Assert.DoesNotContain(merged.Keys, LoraWeights.IsAdapter);
        Assert.True(TinyModels.MaxAbsDiff(merged["wte.weight"], adapted.state_dict()["wte.weight"]) > 0.01, "the embedding adapter was not folded in");

        var plain = TinyModels.Create(TinyModels.Gpt(), seed: 5);
        Assert.Equal(plain.state_dict().Keys.Order(), merged.Keys.Order());
        using (no_grad())
        {
            foreach (var (name, target) in plain.state_dict()) target.copy_(merged[name]);
        }
        var tokens = TinyModels.Tokens(2, 9, 11, seed: 6);
        var difference = TinyModels.MaxAbsDiff(plain.forward(tokens), adapted.forward(tokens));
        Assert.True(difference < 1e-5, $"merged model's logits differ by {difference}");
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

        using var withEmbedding = TinyModels.Create(TinyModels.Gpt() with { Lora = new LoraConfig { Targets = [], EmbeddingRank = 1 } });
        Assert.Equal(["wte.lora_A", "wte.lora_B"], withEmbedding.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order());
        Assert.Contains("wte.weight", withEmbedding.state_dict().Keys);
    }

    [Fact]
    public void Gradients_reach_the_adapters_and_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt() with { Lora = AllTargetsAndEmbedding, Dropout = 0 }, dtype: ScalarType.Float64);
        var lora = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad())
        {
            lora["h.1.mlp.c_fc.lora_B"].normal_(0, 0.3);
            lora["wte.lora_A"].normal_(0, 0.3); // so B's gradient is not zero
        }
        var tokens = TinyModels.Tokens(2, 6, 11, seed: 8);
        Tensor Loss() => nn.functional.cross_entropy(model.forward(tokens).reshape(-1, 11), tokens.roll(1, 1).reshape(-1));
        Loss().backward();
        foreach (var name in new[] { "h.0.attn.c_attn.lora_A", "h.1.mlp.c_fc.lora_B", "wte.lora_A", "wte.lora_B" })
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
        Assert.Null(model.state_dict()["wte.weight"].grad);
    }

    [Fact]
    public void An_embedding_adapter_is_refused_without_tied_weights_or_with_a_negative_rank()
    {
        var untied = Assert.Throws<InvalidModelConfigException>(() => (TinyModels.Gpt(tie: false) with { Lora = new LoraConfig { EmbeddingRank = 1 } }).Validate());
        Assert.Contains("tie_weights", untied.Message);
        var negative = Assert.Throws<InvalidModelConfigException>(() => (TinyModels.Gpt() with { Lora = new LoraConfig { EmbeddingRank = -1 } }).Validate());
        Assert.Contains("embedding_rank", negative.Message);
        var wte = Assert.Throws<InvalidModelConfigException>(() => (TinyModels.Gpt() with { Lora = new LoraConfig { Targets = ["wte"] } }).Validate());
        Assert.Contains("--lora-embedding-rank", wte.Message);
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
