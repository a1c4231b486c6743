"""Table for bench/finetune/run.sh: one row per way of training on Brown, and the issue's targets as ratios."""
import json
import os
import re
import sys

folder, steps = sys.argv[1], int(sys.argv[2])
rows = {}
for name in ["pretrain", "full", "lora", "lora-all", "lora-wte", "scratch"]:
    run = os.path.join(folder, name)
    evaluation = json.load(open(os.path.join(folder, name + ".eval.json")))
    log = open(os.path.join(folder, name + ".log")).read()
    m = re.search(r"(\d+) of (\d+) parameters trainable", log)
    total = int(re.search(r"training gpt with (\d+) parameters", log).group(1))
    trainable = int(m.group(1)) if m else total
    train = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl")) if '"kind":"train"' in l]
    # Step time from elapsed time between log rows after the first (which holds start-up), evaluation excluded.
    pairs = list(zip(train, train[1:]))[1:] or list(zip(train, train[1:]))
    step_s = sum(b["elapsed_s"] - a["elapsed_s"] for a, b in pairs) / sum(b["step"] - a["step"] for a, b in pairs) if pairs else float("nan")
    latest = os.path.join(run, "checkpoints", open(os.path.join(run, "checkpoints", "latest")).read().strip())
    size = sum(os.path.getsize(os.path.join(latest, f)) for f in os.listdir(latest))
    rows[name] = dict(bpb=evaluation["bits_per_byte"], loss=evaluation["loss"], total=total, trainable=trainable,
                      bytes=train[-1].get("allreduce_bytes", 0), step_s=step_s, size=size)

labels = {"pretrain": "pretrained base, no Brown training (zero-shot)", "full": "full fine-tuning", "lora": "LoRA r=8 (c_attn)",
          "lora-all": "LoRA r=8 (c_attn, c_proj, c_fc, mlp.c_proj)",
          "lora-wte": "LoRA r=8 (c_attn) + tied embedding r=1", "scratch": "from scratch"}
print(f"| {steps} steps on Brown, 2 workers | val loss | val bits/byte | trainable params | share | all-reduced bytes/step | step time (s) | checkpoint |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, r in rows.items():
    print(f"| {labels[name]} | {r['loss']:.4f} | {r['bpb']:.4f} | {r['trainable']:,} | {r['trainable'] / r['total']:.2%} | "
          f"{r['bytes']:,.0f} | {r['step_s']:.3f} | {r['size'] / 1e6:.2f} MB |")
full, scratch = rows["full"], rows["scratch"]
print()
print("| target | measured | met |")
print("|---|---:|:-:|")
for name in ["lora", "lora-all", "lora-wte"]:
    r = rows[name]
    checks = [
        (f"{labels[name]}: trainable params <= 2 % of full", r["trainable"] / full["trainable"], r["trainable"] / full["trainable"] <= 0.02),
        (f"{labels[name]}: all-reduced bytes <= 2 % of full", r["bytes"] / full["bytes"], r["bytes"] / full["bytes"] <= 0.02),
        (f"{labels[name]}: val loss within 5 % of full (ratio)", r["loss"] / full["loss"], r["loss"] <= 1.05 * full["loss"]),
        (f"{labels[name]}: beats scratch (val loss ratio)", r["loss"] / scratch["loss"], r["loss"] < scratch["loss"]),
    ]
    for text, value, ok in checks:
        print(f"| {text} | {value:.4f} | {'yes' if ok else 'no'} |")
print(f"| full fine-tuning: beats scratch (val loss ratio) | {full['loss'] / scratch['loss']:.4f} | {'yes' if full['loss'] < scratch['loss'] else 'no'} |")
