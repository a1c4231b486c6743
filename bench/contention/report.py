"""Table of bench/contention/run.sh: median train tokens/s per program and condition, ratios to quiet and to PyTorch."""
import glob, json, os, re, statistics, sys

folder, steps, threads, cores = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
programs = sys.argv[5:] or ["ours", "ours-passive", "ours-libgomp-defaults", "pytorch"]
conditions = ["quiet", "one-busy", "busy-per-core", "half-busy-per-core"]
runs = {}
for path in glob.glob(os.path.join(folder, "*-r*.json")):
    name = os.path.basename(path)[:-5]
    m = re.match(r"(.+)-(quiet|one-busy|busy-per-core|half-busy-per-core)-r(\d+)$", name)
    if not m:
        continue
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.startswith("{")]
    if not lines:
        continue
    runs.setdefault((m.group(1), m.group(2)), []).append(json.loads(lines[-1])["train_tokens_per_s"])

def median(program, condition):
    values = runs.get((program, condition))
    return statistics.median(values) if values else None

def fmt(x, spec):
    return "–" if x is None else format(x, spec)

print(f"baby GPT, {steps} steps, {threads} threads, {cores} cores; median train tokens/s of the rounds (each run's values in brackets)\n")
print("| condition | " + " | ".join(f"{p} tok/s" for p in programs) + " | " +
      " | ".join(f"{p} / its quiet" for p in programs) + " | ours / pytorch | ours / ours-libgomp-defaults |")
print("|---|" + "---:|" * (2 * len(programs) + 2))
for c in conditions:
    med = {p: median(p, c) for p in programs}
    quiet = {p: median(p, "quiet") for p in programs}
    cells = [f"{fmt(med[p], '.0f')} [{', '.join(f'{v:.0f}' for v in runs.get((p, c), []))}]" for p in programs]
    ratios = [fmt(med[p] / quiet[p] if med[p] and quiet[p] else None, ".2f") for p in programs]
    vs_torch = fmt(med.get("ours") / med["pytorch"] if med.get("ours") and med.get("pytorch") else None, ".2f")
    vs_old = fmt(med.get("ours") / med["ours-libgomp-defaults"] if med.get("ours") and med.get("ours-libgomp-defaults") else None, ".2f")
    print(f"| {c} | " + " | ".join(cells) + " | " + " | ".join(f"**{r}**" for r in ratios) + f" | {vs_torch} | {vs_old} |")
