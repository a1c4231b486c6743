#!/usr/bin/env python3
"""Turns one bench/dataparallel/run.sh folder into the two markdown tables of RESULTS.md.

Throughput: tokens/s over the metrics.jsonl windows after the first `skip` steps (each window's seconds are its
tokens divided by its logged tokens_per_sec, which counts training-step time only). Medians over repeats.
Overlap, from OverlapProbe (per-step medians, averaged over the two ranks, then the median over repeats):
  all-reduce time    overlap off: the one exchange, from hand-over after backward to averaged gradients back;
  exposed wait       from the last hand-over (backward done) to the last exchange back: what the step waits for;
  hidden fraction    1 - exposed(on) / all-reduce(off), and, from step periods, (period(off) - period(on)) / all-reduce(off),
                     which also charges overlap for the cost of running backward segment by segment.
"""
import glob, json, os, re, statistics, sys


def last_json(path):
    lines = [line for line in open(path).read().splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"report.py: {path} holds no JSON line; see the .log beside it")
    return json.loads(lines[-1])


def steady_tokens_per_s(run, skip):
    rows = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]
    train = [r for r in rows if r["kind"] == "train"]
    tokens, seconds, previous = 0, 0.0, None
    for row in train:
        if previous is not None and previous["step"] >= skip:
            window_tokens = row["tokens_seen"] - previous["tokens_seen"]
            tokens += window_tokens
            seconds += window_tokens / row["tokens_per_sec"]
        previous = row
    if seconds == 0:
        raise SystemExit(f"report.py: {run}/metrics.jsonl has no window after step {skip}")
    return tokens / seconds, train[-1]["loss"]


def runs(folder, pattern):
    return sorted(p for p in glob.glob(os.path.join(folder, pattern)) if os.path.isdir(p))


def probe_value(result, key):
    return statistics.mean(rank[key]["Median"] for rank in result["ranks"])


def main(folder):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    skip = cfg["skip"]
    configs = [("w1", "1 worker × 2 threads, batch 12"),
               ("w1-half", "1 worker × 1 thread, batch 6 (one of the two workers alone; 6 × 64 tokens per step)"),
               ("w2-overlap", "2 workers × 1 thread, batch 6 each, overlap on"),
               ("w2-sequential", "2 workers × 1 thread, batch 6 each, overlap off")]
    throughput = {}
    print(f"| configuration ({cfg['steps']} steps, from step {skip}) | tokens/s (median) | each repeat | "
          f"ms per step | vs 1 worker × 2 threads | vs 2 × (1 worker × 1 thread) | train loss at the end |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, label in configs:
        measured = [steady_tokens_per_s(run, skip) for run in runs(folder, f"{key}-r*")]
        tps = statistics.median(m[0] for m in measured)
        throughput[key] = tps
        tokens_per_step = (6 if key == "w1-half" else 12) * 64
        versus_w1 = "–" if key.startswith("w1") else f"**{tps / throughput['w1']:.2f}**"
        versus_half = "–" if key.startswith("w1") else f"{tps / (2 * throughput['w1-half']):.2f}"
        each = " / ".join(f"{m[0]:.0f}" for m in measured)
        losses = " / ".join(f"{m[1]:.4f}" for m in measured)
        print(f"| {label} | **{tps:.0f}** | {each} | {1e3 * tokens_per_step / tps:.1f} | {versus_w1} | {versus_half} | {losses} |")

    def probes(kind):
        return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, f"probe-{kind}-r*.json")))]

    def median_of(results, key):
        return statistics.median(probe_value(r, key) for r in results)

    off, on = probes("sequential"), probes("overlap")
    rows = [("exchanges per step", lambda rs: f"{rs[0]['ranks'][0]['ExchangesPerStep']}"),
            ("step period, ms", lambda rs: f"{median_of(rs, 'CycleMs'):.1f}"),
            ("end of previous step → first hand-over, ms", lambda rs: f"{median_of(rs, 'BeforeFirstExchangeMs'):.1f}"),
            ("gradients in flight (first hand-over → last back), ms", lambda rs: f"{median_of(rs, 'InFlightMs'):.1f}"),
            ("exposed wait (backward done → last back), ms", lambda rs: f"{median_of(rs, 'ExposedMs'):.1f}"),
            ("per-step loss sum (2 doubles), ms", lambda rs: f"{median_of(rs, 'LossSumMs'):.2f}")]
    print()
    print(f"| OverlapProbe, 2 ranks × 1 thread, batch 6 ({cfg['steps']} steps, first {skip} left out) | overlap off | overlap on |")
    print("|---|---:|---:|")
    for label, value in rows:
        print(f"| {label} | {value(off)} | {value(on)} |")
    allreduce = median_of(off, "ExposedMs")
    hidden_direct = 1 - median_of(on, "ExposedMs") / allreduce
    hidden_period = (median_of(off, "CycleMs") - median_of(on, "CycleMs")) / allreduce
    cli_off, cli_on = 1e3 * 12 * 64 / throughput["w2-sequential"], 1e3 * 12 * 64 / throughput["w2-overlap"]
    hidden_cli = (cli_off - cli_on) / allreduce
    print()
    print(f"All-reduce time (overlap off) {allreduce:.1f} ms per step. Hidden behind backward: "
          f"**{100 * hidden_direct:.0f} %** by exposed wait (1 − exposed on / all-reduce off); "
          f"{100 * hidden_period:.0f} % by probe step periods; {100 * hidden_cli:.0f} % by `orchestrator train` step times "
          f"({cli_off:.1f} → {cli_on:.1f} ms).")


if __name__ == "__main__":
    main(sys.argv[1])
