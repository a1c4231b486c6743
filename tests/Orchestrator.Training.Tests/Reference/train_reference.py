#!/usr/bin/env python3
"""Independent reference for the Trainer: the PyTorch baby-GPT of bench/babygpt/reference.py, started from the
weights the C# test saved, trained on the very windows the C# trainer drew, with torch.optim.AdamW (decay only on
tensors of 2+ dims), torch.nn.utils.clip_grad_norm_ and the nanoGPT warm-up + cosine schedule. Reads both
safetensors files with a hand-written parser (no safetensors package needed), which also proves Python can read them.

usage: train_reference.py DIR REFERENCE_PY
  DIR holds run.json (RunConfig), init.safetensors, final.safetensors (the C# checkpoint's model), windows.bin
  (int64, steps x batch x (block_size + 1)). Prints one JSON line: {"max_abs_diff": ..., "tensors": ...}.
"""
import argparse, importlib.util, json, math, os, sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        start, end = entry["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype="<f4").reshape(entry["shape"]).copy())
    return out


def reference_name(ours, params):
    # The reference mirrors our module names; older versions kept c_fc / c_proj directly in the block.
    return ours if ours in params else ours.replace(".mlp.", ".")


def main(d, reference_py):
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("babygpt_reference", reference_py)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)

    run = json.load(open(os.path.join(d, "run.json")))
    m, t = run["model"], run["training"]
    c = argparse.Namespace(vocab_size=m["vocab_size"], block_size=m["block_size"], n_layer=m["n_layer"],
                           n_head=m["n_head"], n_embd=m["n_embd"], dropout=0.0, bias=m["bias"])
    model = ref.GPT(c)
    params = model.state_dict(keep_vars=True)  # tied lm_head.weight included, as in our state_dict
    with torch.no_grad():
        for name, value in read_safetensors(os.path.join(d, "init.safetensors")).items():
            params[reference_name(name, params)].copy_(value)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=t["learning_rate"], betas=(t["beta1"], t["beta2"]), eps=t["eps"])
    steps, warmup, lr, min_lr = t["max_steps"], t["warmup_steps"], t["learning_rate"], t["min_lr"]
    decay_steps = t.get("lr_decay_steps") or steps
    T = m["block_size"]
    windows = np.fromfile(os.path.join(d, "windows.bin"), dtype="<i8").reshape(steps, t["batch_size"], T + 1)

    model.train()
    for step in range(steps):
        if step < warmup:
            rate = lr * (step + 1) / (warmup + 1)
        else:
            ratio = min(1.0, (step - warmup) / max(1, decay_steps - warmup))
            rate = min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)
        for g in opt.param_groups:
            g["lr"] = rate
        w = torch.from_numpy(windows[step])
        x, y = w[:, :T], w[:, 1:]
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t["grad_clip"])
        opt.step()

    final = read_safetensors(os.path.join(d, "final.safetensors"))
    worst = 0.0
    for name, value in final.items():
        worst = max(worst, (params[reference_name(name, params)].detach() - value).abs().max().item())
    print(json.dumps({"max_abs_diff": worst, "tensors": len(final)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
