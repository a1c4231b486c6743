"""PowerSGD with error feedback in float64 PyTorch, for PowerSgdCompressorTests: given every rank's gradients per step
and the shared initial Q, recompute each step's averaged approximation and the final error buffers, and print the
largest absolute difference from the values the C# compressor produced."""
import json
import sys

import torch

d = json.load(open(sys.argv[1]))
rows, columns, rank = d["rows"], d["columns"], d["rank"]
f64 = dict(dtype=torch.float64)
q = torch.tensor(d["q0"], **f64).reshape(columns, rank)
world = len(d["gradients"][0])
errors = [torch.zeros(rows, columns, **f64) for _ in range(world)]
worst = 0.0
for step, grads in enumerate(d["gradients"]):
    m = [torch.tensor(g, **f64).reshape(rows, columns) + errors[k] for k, g in enumerate(grads)]
    p = sum(mk @ q for mk in m) / world
    p, r = torch.linalg.qr(p)
    p = p * torch.sign(torch.diagonal(r))  # the orthonormal basis Gram-Schmidt builds, column signs included
    q = sum(mk.T @ p for mk in m) / world
    approximation = p @ q.T
    errors = [mk - approximation for mk in m]
    ours = torch.tensor(d["approximations"][step], **f64).reshape(rows, columns)
    worst = max(worst, (ours - approximation).abs().max().item())
for k in range(world):
    ours = torch.tensor(d["errors"][k], **f64).reshape(rows, columns)
    worst = max(worst, (ours - errors[k]).abs().max().item())
print(json.dumps({"max_abs_diff": worst}))
