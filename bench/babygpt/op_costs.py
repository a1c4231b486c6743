#!/usr/bin/env python3
"""Forward + backward cost of each kind of op in one baby-GPT step, at the step's shapes (batch 12 x 64 tokens,
n_embd 128, 4 heads), in PyTorch. StepProfile's `ops` mode times the same list in TorchSharp with the same names,
so the two JSON lines compare op by op. Median of REPS single forward+backward calls, in microseconds.
Usage: op_costs.py --threads N [--reps 200]
"""
import argparse, json, math, time

import reference  # noqa: F401  (first: pins OpenBLAS and OpenMP to --threads before torch loads, as for training)
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--reps", type=int, default=200)
args = ap.parse_args()
threads, reps = args.threads, args.reps
torch.set_num_threads(threads)
torch.manual_seed(0)
B, T, C, H, V = 12, 64, 128, 4, 65
N = B * T


def leaf(*shape):
    return torch.randn(*shape, requires_grad=True)


def timed(forward):
    out = forward()
    grad = torch.randn_like(out)
    samples = []
    for i in range(reps + 5):
        t0 = time.perf_counter()
        forward().backward(grad)
        if i >= 5:
            samples.append(time.perf_counter() - t0)
    samples.sort()
    return round(1e6 * samples[len(samples) // 2], 1)


def linear(n_in, n_out, bias=True):
    x, layer = leaf(N, n_in), torch.nn.Linear(n_in, n_out, bias=bias)
    return lambda: layer(x)


q, k, v = leaf(B, H, T, C // H), leaf(B, H, T, C // H), leaf(B, H, T, C // H)
mask = torch.tril(torch.ones(T, T)).view(1, 1, T, T)


def attention_explicit():
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
    att = att.masked_fill(mask == 0, float("-inf"))
    return F.softmax(att, dim=-1) @ v


x_ln, ln = leaf(N, C), torch.nn.LayerNorm(C)
x_gelu = leaf(N, 4 * C)
logits, targets = leaf(N, V), torch.randint(0, V, (N,))
wte, idx = torch.nn.Embedding(V, C), torch.randint(0, V, (B, T))
heads_in = leaf(B, T, 3 * C)

costs = {
    "linear c_attn 128->384": timed(linear(C, 3 * C)),
    "linear attn.c_proj 128->128": timed(linear(C, C)),
    "linear c_fc 128->512": timed(linear(C, 4 * C)),
    "linear mlp.c_proj 512->128": timed(linear(4 * C, C)),
    "linear lm_head 128->65": timed(linear(C, V, bias=False)),
    "attention explicit (matmul, mask, softmax, matmul)": timed(attention_explicit),
    "split heads + merge (view, transpose, contiguous)": timed(
        lambda: heads_in.split(C, dim=2)[0].view(B, T, H, C // H).transpose(1, 2).transpose(1, 2).contiguous().view(B, T, C)),
    "layer_norm": timed(lambda: ln(x_ln)),
    "gelu": timed(lambda: F.gelu(x_gelu)),
    "cross_entropy": timed(lambda: F.cross_entropy(logits, targets)),
    "embedding": timed(lambda: wte(idx)),
}
print(json.dumps({"framework": f"pytorch {torch.__version__}", "threads": threads, "reps": reps, "median_us": costs}))
