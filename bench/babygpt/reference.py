#!/usr/bin/env python3
"""PyTorch reference for the baby-GPT benchmark: the same model and training loop as `orchestrator train`,
reading the very same train.bin/val.bin that `orchestrator prepare` wrote, so the two runs differ only in the
framework. Written for Debian's python3-torch (1.13), which predates scaled_dot_product_attention, so attention is
spelled out (as nanoGPT does on old PyTorch). Module names mirror ours (h.N.attn.c_attn, h.N.mlp.c_fc, ...) so a
checkpoint of ours loads into this model unchanged.

Validation loss is measured two ways, both printed:
  val_loss_windows  ours: min(all, eval_batches x batch) non-overlapping block_size windows spread evenly over val
                    (Evaluator.WindowStart), every token weighted once;
  val_loss_random   nanoGPT's estimate_loss: eval_batches random batches of val windows (own seeded stream, so
                    two models evaluated with the same seed see the same windows).

Train:    reference.py --data DIR [--iters 2000 --threads 2 ...]      -> one JSON line with both losses, tokens/s,
          per-phase milliseconds per step.
Evaluate: reference.py --data DIR --eval-checkpoint CKPT_DIR           -> one JSON line with both losses of OUR
          trained weights (CKPT_DIR/model.safetensors, read with numpy), computed by this independent model.
Peak:     reference.py --matmul-peak 1024 --threads 2                  -> {"threads","n","gflops"}, measured as
          MatmulPeak measures TorchSharp's (the fastest of 40 products of two N x N float32 matrices).
"""
import argparse, json, math, os, struct, time


def pin_library_threads():
    """Debian's torch calls OpenBLAS built with its own pthread pool, which ignores torch.set_num_threads: without
    OPENBLAS_NUM_THREADS, "--threads 1" still multiplies matrices on every core, and "--threads 2" runs OpenBLAS's
    two threads against two OpenMP threads spinning at their barriers. Both variables must be set before numpy or
    torch load the library. PASSIVE was the fastest OpenMP wait policy for this build at 2 threads (RESULTS.md);
    values already in the environment win."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--threads", type=int, default=2)
    threads = pre.parse_known_args()[0].threads
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    if threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


pin_library_threads()
import numpy as np  # noqa: E402  (after pin_library_threads)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_head, self.n_embd = c.n_head, c.n_embd
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd, bias=c.bias)
        self.attn_dropout, self.resid_dropout = nn.Dropout(c.dropout), nn.Dropout(c.dropout)
        mask = torch.tril(torch.ones(c.block_size, c.block_size)).view(1, 1, c.block_size, c.block_size)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias)
        self.c_proj = nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(c.n_embd), CausalSelfAttention(c)
        self.ln_2, self.mlp = nn.LayerNorm(c.n_embd), MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


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


def read_safetensors(path):
    """The float32 tensors of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").copy().reshape(info["shape"]))
    return tensors


def load_our_checkpoint(model, directory):
    state = read_safetensors(os.path.join(directory, "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{directory}: checkpoint does not match the reference model: missing {missing}, unexpected {unexpected}")
    if not torch.equal(model.wte.weight, state["lm_head.weight"]):
        raise ValueError(f"{directory}: lm_head.weight differs from wte.weight, but the reference ties them")


def window_val_loss(model, val, block_size, batch_size, max_windows):
    """Our Evaluator's protocol: windows spread evenly over val, each token counted once, summed then averaged."""
    window_count = (len(val) - 1) // block_size
    used = min(window_count, max_windows)
    starts = [(w * window_count // used) * block_size for w in range(used)]
    total, tokens = 0.0, 0
    for i in range(0, used, batch_size):
        chunk = starts[i:i + batch_size]
        x = torch.from_numpy(np.stack([val[s:s + block_size].astype(np.int64) for s in chunk]))
        y = torch.from_numpy(np.stack([val[s + 1:s + 1 + block_size].astype(np.int64) for s in chunk]))
        logits = model(x)
        total += F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), reduction="sum").double().item()
        tokens += y.numel()
    return total / tokens, tokens


def random_val_loss(model, val, block_size, batch_size, batches, seed):
    """nanoGPT's estimate_loss on val: the mean of per-batch mean losses over random windows."""
    rng = np.random.default_rng(seed + 1)
    losses = []
    for _ in range(batches):
        ix = rng.integers(0, len(val) - block_size - 1, size=batch_size)
        x = torch.from_numpy(np.stack([val[i:i + block_size].astype(np.int64) for i in ix]))
        y = torch.from_numpy(np.stack([val[i + 1:i + 1 + block_size].astype(np.int64) for i in ix]))
        logits = model(x)
        losses.append(F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item())
    return sum(losses) / len(losses), batches * batch_size * block_size


def evaluate(model, val, a):
    model.eval()
    with torch.no_grad():
        windows, window_tokens = window_val_loss(model, val, a.block_size, a.batch_size, a.eval_batches * a.batch_size)
        random, random_tokens = random_val_loss(model, val, a.block_size, a.batch_size, a.eval_batches, a.seed)
    return {"val_loss_windows": windows, "val_tokens_windows": window_tokens,
            "val_loss_random": random, "val_tokens_random": random_tokens}


def matmul_peak(n, threads, reps=40):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return {"threads": threads, "n": n, "gflops": 2.0 * n ** 3 / best / 1e9}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--matmul-peak", type=int, metavar="N", help="print the N x N float32 matmul rate and exit")
    ap.add_argument("--eval-checkpoint", help="evaluate this checkpoint directory of ours instead of training")
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
    if a.matmul_peak:
        print(json.dumps(matmul_peak(a.matmul_peak, a.threads)))
        return
    if not a.data:
        ap.error("--data is required unless --matmul-peak is given")
    torch.manual_seed(a.seed)
    meta = json.load(open(os.path.join(a.data, "meta.json")))
    dtype = np.uint32 if "32" in str(meta.get("token_dtype", meta.get("dtype", "uint16"))).lower() else np.uint16
    train = np.memmap(os.path.join(a.data, "train.bin"), dtype=dtype, mode="r")
    val = np.memmap(os.path.join(a.data, "val.bin"), dtype=dtype, mode="r")
    c = argparse.Namespace(vocab_size=int(meta["vocab_size"]), block_size=a.block_size, n_layer=a.n_layer,
                           n_head=a.n_head, n_embd=a.n_embd, dropout=a.dropout, bias=True)
    model = GPT(c)

    if a.eval_checkpoint:
        load_our_checkpoint(model, a.eval_checkpoint)
        print(json.dumps({"checkpoint": a.eval_checkpoint, **evaluate(model, val, a)}))
        return

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

    # CPU work is synchronous, so reading the clock between phases costs nothing and adds up to the step time.
    phases = dict.fromkeys(["data", "forward", "backward", "clip", "optimizer"], 0.0)
    model.train()
    train_seconds = 0.0
    for it in range(a.iters):
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        x, y = batch(train)
        t1 = time.perf_counter()
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t4 = time.perf_counter()
        opt.step()
        t5 = time.perf_counter()
        train_seconds += t5 - t0
        for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            phases[name] += seconds
        if it % 200 == 0:
            print(f"reference step {it} loss {loss.item():.4f}", flush=True)

    print(json.dumps({**evaluate(model, val, a),
                      "train_tokens_per_s": a.iters * a.batch_size * a.block_size / train_seconds,
                      "train_seconds": train_seconds,
                      "phase_ms_per_step": {k: 1e3 * v / a.iters for k, v in phases.items()},
                      "threads": a.threads, "iters": a.iters, "torch": torch.__version__,
                      "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_NUM_THREADS")}}))


if __name__ == "__main__":
    main()
