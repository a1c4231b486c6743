#!/usr/bin/env python3
"""Independent reference for GptModel: nanoGPT's forward pass written out with plain tensor ops in PyTorch (1.13 has no
scaled_dot_product_attention, so attention is the explicit masked softmax), run on the weights and tokens the C# test
wrote. Writes the logits, the cross-entropy loss and the gradient of every parameter back as raw float32.

usage: nanogpt_reference.py DIR   (DIR holds config.json, idx.bin, targets.bin, params/<name>.bin)
"""
import json, math, os, sys

import numpy as np
import torch
import torch.nn.functional as F


def main(d):
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(d, "config.json")))
    B, T, V, C = cfg["batch"], cfg["time"], cfg["vocab_size"], cfg["n_embd"]
    nh, L = cfg["n_head"], cfg["n_layer"]
    hs = C // nh
    P = {}
    for p in cfg["parameters"]:
        arr = np.fromfile(os.path.join(d, "params", p["name"] + ".bin"), dtype="<f4").reshape(p["shape"])
        P[p["name"]] = torch.tensor(arr, requires_grad=True)
    idx = torch.from_numpy(np.fromfile(os.path.join(d, "idx.bin"), dtype="<i8").reshape(B, T))
    targets = torch.from_numpy(np.fromfile(os.path.join(d, "targets.bin"), dtype="<i8").reshape(B, T))

    def linear(x, prefix):
        return F.linear(x, P[prefix + ".weight"], P.get(prefix + ".bias"))

    def layer_norm(x, prefix):
        return F.layer_norm(x, (C,), P[prefix + ".weight"], P.get(prefix + ".bias"), 1e-5)

    causal = torch.tril(torch.ones(T, T)).bool()
    x = P["wte.weight"][idx] + P["wpe.weight"][torch.arange(T)]
    for i in range(L):
        pre = "h.%d." % i
        q, k, v = linear(layer_norm(x, pre + "ln_1"), pre + "attn.c_attn").split(C, dim=2)
        q, k, v = (t.view(B, T, nh, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = F.softmax(att.masked_fill(~causal, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + linear(y, pre + "attn.c_proj")
        hidden = F.gelu(linear(layer_norm(x, pre + "ln_2"), pre + "mlp.c_fc"))
        x = x + linear(hidden, pre + "mlp.c_proj")
    head = P["wte.weight"] if cfg["tie_weights"] else P["lm_head.weight"]
    logits = F.linear(layer_norm(x, "ln_f"), head)
    loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
    loss.backward()

    out = os.path.join(d, "out")
    os.makedirs(os.path.join(out, "grads"), exist_ok=True)
    logits.detach().numpy().astype("<f4").tofile(os.path.join(out, "logits.bin"))
    with open(os.path.join(out, "loss.txt"), "w") as f:
        f.write(repr(loss.item()))
    for name, p in P.items():
        p.grad.numpy().astype("<f4").tofile(os.path.join(out, "grads", name + ".bin"))


if __name__ == "__main__":
    main(sys.argv[1])
