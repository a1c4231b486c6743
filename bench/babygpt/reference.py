#!/usr/bin/env python3
"""PyTorch reference for the baby-GPT benchmark: the same model and training loop as `orchestrator train`,
reading the very same train.bin/val.bin that `orchestrator prepare` wrote, so the two runs differ only in the
framework. Written for Debian's python3-torch (1.13), which predates scaled_dot_product_attention, so attention is
spelled out (as nanoGPT does on old PyTorch).

Prints one JSON line: {"val_loss":..., "train_tokens_per_s":..., "threads":..., "iters":...}.
"""
import argparse, json, math, os, time

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_head, self.n_embd = c.n_head, c.n_embd
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd, bias=c.bias)
        self.attn_dropout, self.resid_dropout = nn.Dropout(c.dropout), nn.Dropout(c.dropout)
        self.register_buffer("mask", torch.tril(torch.ones(c.block_size, c.block_size)).view(1, 1, c.block_size, c.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(c.n_embd), CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c.n_embd)
        self.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias)
        self.c_proj = nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.drop(self.c_proj(F.gelu(self.c_fc(self.ln_2(x)))))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(c.vocab_size, c.n_embd), nn.Embedding(c.block_size, c.n_embd)
        self.drop = nn.Dropout(c.dropout)
        self.h = nn.ModuleList([Block(c) for _ in range(c.n_layer)])
        self.ln_f = nn.LayerNorm(c.n_embd)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * c.n_layer) if name.endswith("c_proj.weight") else 0.02
                torch.nn.init.normal_(p, mean=0.0, std=std)
            elif "ln" not in name:
                torch.nn.init.zeros_(p)

    def forward(self, idx):
        B, T = idx.size()
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T, dtype=torch.long)))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-layer", type=int, default=4); ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=128); ap.add_argument("--block-size", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=12); ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4); ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--beta2", type=float, default=0.99); ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--eval-batches", type=int, default=200); ap.add_argument("--seed", type=int, default=1337)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    meta = json.load(open(os.path.join(a.data, "meta.json")))
    dtype = np.uint32 if "32" in str(meta.get("token_dtype", meta.get("dtype", "uint16"))).lower() else np.uint16
    train = np.memmap(os.path.join(a.data, "train.bin"), dtype=dtype, mode="r")
    val = np.memmap(os.path.join(a.data, "val.bin"), dtype=dtype, mode="r")
    c = argparse.Namespace(vocab_size=int(meta["vocab_size"]), block_size=a.block_size, n_layer=a.n_layer,
                           n_head=a.n_head, n_embd=a.n_embd, dropout=a.dropout, bias=True)
    model = GPT(c)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, a.beta2))
    rng = np.random.default_rng(a.seed)

    def batch(data):
        ix = rng.integers(0, len(data) - a.block_size - 1, size=a.batch_size)
        x = torch.from_numpy(np.stack([data[i:i + a.block_size].astype(np.int64) for i in ix]))
        y = torch.from_numpy(np.stack([data[i + 1:i + 1 + a.block_size].astype(np.int64) for i in ix]))
        return x, y

    def lr_at(it):
        if it < a.warmup:
            return a.lr * (it + 1) / (a.warmup + 1)
        ratio = min(1.0, (it - a.warmup) / max(1, a.iters - a.warmup))
        return a.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (a.lr - a.min_lr)

    model.train()
    train_seconds = 0.0
    for it in range(a.iters):
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        x, y = batch(train)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        train_seconds += time.perf_counter() - t0
        if it % 200 == 0:
            print(f"reference step {it} loss {loss.item():.4f}", flush=True)

    model.eval()
    with torch.no_grad():
        losses = []
        for _ in range(a.eval_batches):
            x, y = batch(val)
            logits = model(x)
            losses.append(F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item())
    print(json.dumps({"val_loss": sum(losses) / len(losses),
                      "train_tokens_per_s": a.iters * a.batch_size * a.block_size / train_seconds,
                      "threads": a.threads, "iters": a.iters, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
