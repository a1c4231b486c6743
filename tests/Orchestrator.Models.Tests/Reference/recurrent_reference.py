#!/usr/bin/env python3
"""Independent reference for RecurrentLanguageModel: embedding, PyTorch's own nn.LSTM / nn.GRU / nn.RNN (torch 1.13 runs
them with ATen's native CPU kernels, no oneDNN) and the head, run on the weights and tokens the C# test wrote. Writes the
logits, the cross-entropy loss and the gradient of every parameter back as raw float32.

usage: recurrent_reference.py DIR   (DIR holds config.json, idx.bin, targets.bin, params/<name>.bin)
"""
import json, os, sys

import numpy as np
import torch
import torch.nn.functional as F


def main(d):
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(d, "config.json")))
    B, T, V, C, L = cfg["batch"], cfg["time"], cfg["vocab_size"], cfg["n_embd"], cfg["n_layer"]
    kind = cfg["model"]
    P = {}
    for p in cfg["parameters"]:
        arr = np.fromfile(os.path.join(d, "params", p["name"] + ".bin"), dtype="<f4").reshape(p["shape"])
        P[p["name"]] = torch.tensor(arr, requires_grad=True)
    idx = torch.from_numpy(np.fromfile(os.path.join(d, "idx.bin"), dtype="<i8").reshape(B, T))
    targets = torch.from_numpy(np.fromfile(os.path.join(d, "targets.bin"), dtype="<i8").reshape(B, T))

    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    rnn = cls(C, C, L, bias=cfg["bias"], batch_first=True)
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            p.copy_(P["rnn." + name])

    x = F.embedding(idx, P["wte.weight"])
    y, _ = rnn(x)  # zero initial state, as each training window
    head = P["wte.weight"] if cfg["tie_weights"] else P["lm_head.weight"]
    logits = F.linear(y, head, P.get("lm_head.bias"))
    loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
    loss.backward()

    out = os.path.join(d, "out")
    os.makedirs(os.path.join(out, "grads"), exist_ok=True)
    logits.detach().numpy().astype("<f4").tofile(os.path.join(out, "logits.bin"))
    with open(os.path.join(out, "loss.txt"), "w") as f:
        f.write(repr(loss.item()))
    grads = {name: p.grad for name, p in P.items()}
    for name, p in rnn.named_parameters():
        grads["rnn." + name] = p.grad
    for name, g in grads.items():
        g.numpy().astype("<f4").tofile(os.path.join(out, "grads", name + ".bin"))


if __name__ == "__main__":
    main(sys.argv[1])
