#!/usr/bin/env python3
"""Turns one bench/multihost/run.sh folder into markdown tables and bench/out/multihost/latest.json.

iperf3: bits/s received over 5 s, one TCP stream from h1 to h2 (the link's real capacity under tbf).
All-reduce: AllReduceBench's rows (slowest rank's time per all-reduce; algbw = bytes / time;
busbw = algbw x 2(N-1)/N, what each link carries; CPU s per GB carried by all ranks).
Training: rank 0's metrics.jsonl rows after the first log interval (start-up, JIT): tokens/s over those windows,
allreduce_wait_s (exposed communication per step), communication_s (the whole exchange per step) and their ratio.
Usage: report.py FOLDER LATEST_JSON
"""
import glob, json, os, sys


def load(path):
    with open(path) as f:
        return json.load(f)


def iperf_gbps(folder, rate):
    return load(os.path.join(folder, f"iperf-{rate}.json"))["end"]["sum_received"]["bits_per_second"] / 1e9


def training_row(run):
    rows = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl")) if l.strip()]
    train = [r for r in rows if r["kind"] == "train"]
    tokens = seconds = wait = comm = steps = 0.0
    for previous, row in zip(train, train[1:]):
        window_steps = row["step"] - previous["step"]
        window_tokens = row["tokens_seen"] - previous["tokens_seen"]
        tokens += window_tokens
        seconds += window_tokens / row["tokens_per_sec"]
        wait += row["allreduce_wait_s"] * window_steps
        comm += row["communication_s"] * window_steps
        steps += window_steps
    if steps == 0:
        raise SystemExit(f"report.py: {run}/metrics.jsonl has fewer than two train rows")
    step_s = seconds / steps
    return {"tokens_per_s": tokens / seconds, "step_s": step_s, "wait_s": wait / steps, "comm_s": comm / steps,
            "share": wait / steps / step_s, "hidden": (1 - wait / comm) if comm > 0 else None, "loss": train[-1]["loss"]}


def main(folder, latest):
    rates = sorted({int(os.path.basename(p)[len("iperf-"):-len(".json")]) for p in glob.glob(os.path.join(folder, "iperf-*.json"))}, reverse=True)
    print(f"Load during the run (1/5/15 min), first and last: {open(os.path.join(folder, 'loads.txt')).read().splitlines()[0][10:].split(']')[0]}"
          f" ... {open(os.path.join(folder, 'loads.txt')).read().splitlines()[-1][10:].split(']')[0]}\n")
    print("| link | iperf3, one TCP stream | iperf3 / link rate |")
    print("|---:|---:|---:|")
    for rate in rates:
        g = iperf_gbps(folder, rate)
        print(f"| {rate} Mbit/s | {g:.3f} Gbit/s | {g * 1000 / rate:.2f} |")

    out = []
    print("\n| hosts | link | size | channels per link | time per all-reduce | algbw | busbw | busbw / iperf3 | CPU s per GB carried |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        g = iperf_gbps(folder, rate)
        rows = [r for path in glob.glob(os.path.join(folder, f"allreduce-{rate}-c*.json")) for r in load(path)]
        for r in sorted(rows, key=lambda r: (r["hosts"], r["size_mib"], r["channels"])):
            ratio = r["busbw_gbps"] / g
            print(f"| {r['hosts']} | {rate} Mbit/s | {r['size_mib']} MiB | {r['channels']} | {r['seconds'] * 1e3:.0f} ms | "
                  f"{r['algbw_gbps']:.3f} Gbit/s | {r['busbw_gbps']:.3f} Gbit/s | **{ratio:.2f}** | {r['cpu_s_per_gb']:.2f} |")
            out.append({"hosts": r["hosts"], "link_mbit": rate, "size_mib": r["size_mib"], "channels": r["channels"],
                        "iperf3_gbps": round(g, 4), "algbw_gbps": round(r["algbw_gbps"], 4), "busbw_gbps": round(r["busbw_gbps"], 4),
                        "busbw_over_link": round(ratio, 3), "cpu_s_per_gb": round(r["cpu_s_per_gb"], 3),
                        "chunk_bytes": r["chunk_bytes"], "seconds": r["seconds"]})

    runs = sorted(glob.glob(os.path.join(folder, "train-*")))
    training = []
    if runs:
        print("\n| link | model | hosts | tokens/s | step | exposed comm per step (rank 0 wait) | its share of the step | whole exchange per step | hidden fraction | tokens/s vs 1 host |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        names = {"baby": "baby GPT (4L/4H/128)", "six": "6L/6H/384"}
        for rate in rates:
            for model in ("baby", "six"):
                base = None
                for hosts in sorted(int(p.rsplit("-", 1)[1]) for p in runs if f"train-{rate}-{model}-" in p):
                    run = os.path.join(folder, f"train-{rate}-{model}-{hosts}")
                    if not os.path.exists(os.path.join(run, "metrics.jsonl")):
                        continue
                    t = training_row(run)
                    base = base or t["tokens_per_s"]
                    hidden = "n/a" if hosts == 1 or t["hidden"] is None else f"{t['hidden']:.2f}"
                    print(f"| {rate} Mbit/s | {names[model]} | {hosts} | {t['tokens_per_s']:.0f} | {t['step_s'] * 1e3:.0f} ms | "
                          f"{t['wait_s'] * 1e3:.0f} ms | {t['share']:.0%} | {t['comm_s'] * 1e3:.0f} ms | {hidden} | {t['tokens_per_s'] / base:.2f} |")
                    training.append({"link_mbit": rate, "model": model, "hosts": hosts, **t})

    os.makedirs(os.path.dirname(latest), exist_ok=True)
    with open(latest, "w") as f:
        json.dump(out, f, indent=1)
    with open(os.path.join(os.path.dirname(latest), "latest-training.json"), "w") as f:
        json.dump(training, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
