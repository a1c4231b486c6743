#!/usr/bin/env python3
"""Turns the JSON files one bench/babygpt/run.sh left in its run folder into the markdown table of RESULTS.md.

Model FLOPs per token follow nanoGPT's estimate_mfu (PaLM appendix B): 6·N + 12·L·T·C, where N counts every
parameter except the position embedding (the tied token embedding stays in: it is the lm_head matmul).
Utilisation = FLOPs per token × training tokens/s ÷ the float32 matmul peak at the same thread count.
"""
import json, os, re, statistics, sys


def load(folder, name):
    """The file as JSON, or else its last line that is a JSON object (logs may precede it)."""
    with open(os.path.join(folder, name)) as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"report.py: {folder}/{name} holds no JSON line; see the logs in {folder}")
    return json.loads(lines[-1])


def cpu_seconds(folder, name):
    """user + sys seconds written by /usr/bin/time -f '%U %S %e'."""
    user, system, _ = open(os.path.join(folder, name)).read().split()[-3:]
    return float(user) + float(system)


def main(folder):
    cfg = load(folder, "config.json")
    L, C, T, V = cfg["n_layer"], cfg["n_embd"], cfg["block_size"], cfg["vocab_size"]
    total_params = L * (12 * C * C + 13 * C) + V * C + T * C + 2 * C  # with biases, as both models are built
    logged = re.search(r"with (\d+) parameters", open(os.path.join(folder, "ours.log")).read())
    if logged is None or int(logged.group(1)) != total_params:
        raise SystemExit(f"report.py: ours.log reports {logged and logged.group(1)} parameters, the formula {total_params}")
    n = total_params - T * C
    flops_per_token = 6 * n + 12 * L * T * C

    ours, ours_x = load(folder, "ours.json"), load(folder, "ours-crosscheck.json")
    ref = load(folder, "reference.json")
    peak_ts, peak_pt = load(folder, "peak-torchsharp.json")["gflops"], load(folder, "peak-pytorch.json")["gflops"]
    tps_ours, tps_ref = ours["train_tokens_per_s"], ref["train_tokens_per_s"]
    tokens_per_step = cfg["batch_size"] * T

    def mfu(tps, peak):
        return f"{100 * flops_per_token * tps / 1e9 / peak:.1f} %"

    rows = [
        ("val loss at the end, our protocol (all val windows)", f"**{ours['final_eval']['loss']:.4f}**",
         f"{ref['val_loss_windows']:.4f}"),
        ("val loss, same weights re-scored by the PyTorch model, our protocol", f"{ours_x['val_loss_windows']:.4f}", "–"),
        ("val loss, nanoGPT protocol (eval_batches random val batches, same windows both)",
         f"{ours_x['val_loss_random']:.4f}", f"{ref['val_loss_random']:.4f}"),
        ("final train loss (last step's batch)", f"{ours['final_train_loss']:.4f}", "–"),
        ("training tokens/s", f"**{tps_ours:.0f}**", f"**{tps_ref:.0f}**"),
        ("ratio ours / PyTorch", f"**{tps_ours / tps_ref:.2f}**", ""),
        ("ms per step", f"{1e3 * tokens_per_step / tps_ours:.1f}", f"{1e3 * tokens_per_step / tps_ref:.1f}"),
        ("process CPU s (user+sys, whole run incl. start-up and eval)",
         f"{cpu_seconds(folder, 'ours.time'):.0f}", f"{cpu_seconds(folder, 'reference.time'):.0f}"),
        (f"float32 matmul peak, {cfg['threads']} threads, own framework (GFLOP/s)", f"{peak_ts:.1f}", f"{peak_pt:.1f}"),
        ("model FLOPs utilisation vs TorchSharp's peak", mfu(tps_ours, peak_ts), mfu(tps_ref, peak_ts)),
        ("model FLOPs utilisation vs own framework's peak", mfu(tps_ours, peak_ts), mfu(tps_ref, peak_pt)),
    ]
    print(f"| {cfg['iters']} steps, {cfg['threads']} threads | ours (TorchSharp) | PyTorch {ref['torch']} reference |")
    print("|---|---:|---:|")
    for label, a, b in rows:
        print(f"| {label} | {a} | {b} |")
    phases = ", ".join(f"{k} {v:.1f}" for k, v in ref["phase_ms_per_step"].items())
    print()
    print(f"FLOPs per token {flops_per_token:,} (N = {n:,} parameters without wpe; {total_params:,} in all). "
          f"PyTorch ms per step by phase: {phases}.")
    paired(folder, cfg)


def paired(folder, cfg):
    """The alternating short runs (tokens/s of each, medians' ratio) and the op costs, per thread count."""
    threads = sorted({int(m.group(1)) for m in (re.match(r"pair-ours-t(\d+)-p\d+\.json$", f) for f in os.listdir(folder)) if m},
                     reverse=True)
    if not threads:
        return
    print()
    print(f"| alternating short runs ({cfg['short_iters']} steps each), tokens/s | ours, `orchestrator train` | "
          "ours, trainer's step in StepProfile, loop on a new thread (as Trainer) | same, loop on the building thread | "
          "PyTorch | ratio ours (train) / PyTorch | ratio ours (one thread) / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t in threads:
        pairs = range(1, cfg["pairs"] + 1)
        series = [[load(folder, name.format(t=t, p=p))[key] for p in pairs] for name, key in [
            ("pair-ours-t{t}-p{p}.json", "train_tokens_per_s"), ("pair-profile-new-t{t}-p{p}.json", "tokens_per_s"),
            ("pair-profile-main-t{t}-p{p}.json", "tokens_per_s"), ("pair-reference-t{t}-p{p}.json", "train_tokens_per_s")]]
        cells = [" / ".join(f"{v:.0f}" for v in values) for values in series]
        medians = [statistics.median(values) for values in series]
        print(f"| {t} thread{'s' if t > 1 else ''} | {' | '.join(cells)} | **{medians[0] / medians[3]:.2f}** | "
              f"**{medians[2] / medians[3]:.2f}** |")

    print()
    print("| op (forward + backward, median µs) | " + " | ".join(
        f"TorchSharp {t} thr | PyTorch {t} thr" for t in threads) + " |")
    print("|---|" + "---:|---:|" * len(threads))
    ops = {t: (load(folder, f"ops-torchsharp-t{t}.json")["median_us"], load(folder, f"ops-pytorch-t{t}.json")["median_us"])
           for t in threads}
    for name in ops[threads[0]][0]:
        print(f"| {name} | " + " | ".join(f"{ops[t][0][name]:.0f} | {ops[t][1].get(name, float('nan')):.0f}" for t in threads) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
