"""Table of bench/contention/run.sh: median train tokens/s per program and condition, ratios to quiet and to PyTorch."""
import glob, json, os, re, statistics, sys

folder, steps, threads, cores = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
programs = sys.argv[5:] or ["ours", "ours-passive", "ours-libgomp-defaults", "pytorch"]
conditions = ["quiet", "one-busy", "busy-per-core", "half-busy-per-core"]
runs = {}
for path in glob.glob(os.path.join(folder, "*-r*.json")):
    name = os.path.basename(path)[:-5]
    m = re.match(r"(.+?)-(quiet|one-busy|half-busy-per-core|busy-per-core)-r(\d+)$", name)
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
ours = [p for p in programs if p != "pytorch"]
print("| condition | " + " | ".join(f"{p} tok/s" for p in programs) + " | " +
      " | ".join(f"{p} / its quiet" for p in programs) + " | " + " | ".join(f"{p} / pytorch" for p in ours) + " |")
print("|---|" + "---:|" * (2 * len(programs) + len(ours)))
for c in conditions:
    med = {p: median(p, c) for p in programs}
    quiet = {p: median(p, "quiet") for p in programs}
    cells = [f"{fmt(med[p], '.0f')} [{', '.join(f'{v:.0f}' for v in runs.get((p, c), []))}]" for p in programs]
    ratios = [fmt(med[p] / quiet[p] if med[p] and quiet[p] else None, ".2f") for p in programs]
    torch = med.get("pytorch")
    vs_torch = [fmt(med[p] / torch if med[p] and torch else None, ".2f") for p in ours]
    print(f"| {c} | " + " | ".join(cells) + " | " + " | ".join(f"**{r}**" for r in ratios) + " | " + " | ".join(vs_torch) + " |")
