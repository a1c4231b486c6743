#!/usr/bin/env python3
"""Alpha-beta cost model of the ring all-reduce, fitted to bench/multihost/run.sh, extrapolated to 512 workers.

One all-reduce of S bytes over N ranks is 2(N-1) ring steps (reduce-scatter, then all-gather), each sending S/N bytes:
    T_comm(N) = 2(N-1) * (alpha + S / (N * B))
alpha: the fixed cost of a ring step (network latency plus the software's per-step cost: a round of chunk
       hand-offs through gRPC/HTTP/2 and the reduction's wake-ups), fitted from the measurements.
B:     the bandwidth one ring link delivers = min(eta * link rate, channels * per-channel ceiling), where eta (fitted)
       is the share of the link the transport fills and the per-channel ceiling is what one HTTP/2 connection moves
       on one core: chunk_bytes / (chunk_bytes * cpu_s_per_byte + message_s), from the measured CPU s per GB.
A training step:  t_step(N) = t_compute + (1 - hidden) * T_comm(N)   (weak scaling: per-worker batch fixed)
The ring "stops scaling" at the smallest N where the latency terms exceed the bandwidth terms
(2(N-1) alpha > 2(N-1)/N * S/B, i.e. N > S / (alpha B)) or the exposed communication exceeds 10 % of the step.

The fit is made per channel count (Collective:ChannelsPerLink) over the rows at links up to 1 Gbit/s; --channels picks
the one the extrapolation uses.
Usage: model.py [--allreduce bench/out/multihost/latest.json] [--training bench/out/multihost/latest-training.json]
                [--chunk-bytes 65536] [--channels 1] [--hidden H] [--message-us 20] [--latency-us 25]
                [--alpha-ms A] [--cpu-s-per-gb C] [--gpt2-compute-ms 100]
"""
import argparse, json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "out", "multihost")

# Gradient bytes per step (float32): parameters x 4.
MODELS = {
    "baby GPT (4L/4H/128, 0.81M)": 809_856 * 4,
    "6L/6H/384 (10.7M)": 10_697_088 * 4,
    "GPT-2 small (124M)": 124_439_808 * 4,
}


def fit(rows):
    """Least squares of T = alpha * 2(N-1) + (1/eta) * 2(N-1)/N * S / link over the measured rows."""
    xs, ys = [], []
    for r in rows:
        n, size, link = r["hosts"], r["size_mib"] * 2**20, r["link_mbit"] * 1e6 / 8
        xs.append((2 * (n - 1), 2 * (n - 1) / n * size / link))
        ys.append(r["seconds"])
    s11 = sum(a * a for a, _ in xs); s12 = sum(a * b for a, b in xs); s22 = sum(b * b for _, b in xs)
    t1 = sum(a * y for (a, _), y in zip(xs, ys)); t2 = sum(b * y for (_, b), y in zip(xs, ys))
    det = s11 * s22 - s12 * s12
    alpha = (t1 * s22 - t2 * s12) / det
    inv_eta = (s11 * t2 - s12 * t1) / det
    return max(alpha, 0.0), 1 / inv_eta


def comm_time(n, size, bandwidth, alpha):
    return 2 * (n - 1) * (alpha + size / (n * bandwidth)) if n > 1 else 0.0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--allreduce", default=os.path.join(OUT, "latest.json"))
    p.add_argument("--training", default=os.path.join(OUT, "latest-training.json"))
    p.add_argument("--chunk-bytes", type=int, default=64 << 10)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--machine-cores", type=float, default=os.cpu_count(), help="cores the measured ranks shared (this machine's)")
    p.add_argument("--hidden", type=float, default=None, help="hidden fraction (default: measured median, else 0.5)")
    p.add_argument("--message-us", type=float, default=20.0, help="software cost per chunk message, microseconds")
    p.add_argument("--latency-us", type=float, default=25.0, help="one-way network latency of a datacenter link, microseconds")
    p.add_argument("--alpha-ms", type=float, default=None,
                   help="software cost per ring step for the extrapolation (default: the fitted alpha; a fit on a starved machine is mostly scheduling delay)")
    p.add_argument("--cpu-s-per-gb", type=float, default=None, help="CPU s per GB carried for the extrapolation (default: the measured median)")
    p.add_argument("--gpt2-compute-ms", type=float, default=100.0,
                   help="GPT-2 small compute per step (default: 16 x 1024 tokens on an A100 at 40%% MFU = 6 x 124M x 16384 / 125 TFLOP/s)")
    args = p.parse_args()

    rows = json.load(open(args.allreduce))
    for r in rows:
        r.setdefault("channels", 1)  # rows from before channels per link were measured
    cpu_s_per_byte = sorted(r["cpu_s_per_gb"] for r in rows)[len(rows) // 2] / 1e9
    per_channel = args.chunk_bytes / (args.chunk_bytes * cpu_s_per_byte + args.message_us * 1e-6)
    # The linear fit needs rows where the link, not the CPU, bounds the bandwidth: links up to 1 Gbit/s. Faster rows
    # are predicted with B = min(eta x link, channels x per-channel ceiling) and shown, not fitted.
    fits = {}
    for channels in sorted({r["channels"] for r in rows}):
        fitted = [r for r in rows if r["channels"] == channels and r["link_mbit"] <= 1000]
        if len({(r["hosts"], r["link_mbit"], r["size_mib"]) for r in fitted}) >= 2:
            fits[channels] = fit(fitted)
    if not fits:
        raise SystemExit("model.py: the fit needs rows of at least two (hosts, link, size) combinations at links up to 1000 Mbit/s "
                         "with the same channel count; run bench/multihost/run.sh with its defaults")
    print(f"Median CPU {cpu_s_per_byte * 1e9:.2f} s per GB carried; one channel's ceiling {per_channel * 8 / 1e9:.1f} Gbit/s "
          f"({args.chunk_bytes >> 10} KiB chunks, {args.message_us:.0f} us per message)\n")
    print("| channels | alpha per ring step | eta (share of the link) | rows fitted |")
    print("|---:|---:|---:|---:|")
    for channels, (a, e) in fits.items():
        print(f"| {channels} | {a * 1e3:.2f} ms | {e:.2f} | {sum(1 for r in rows if r['channels'] == channels and r['link_mbit'] <= 1000)} |")
    # On the measuring machine all N ranks share its cores: N ranks each carrying B bytes/s at c CPU s per byte need
    # N * B * c cores, so B <= cores / (N * c) (c is the row's own measured CPU s per GB carried).
    print(f"\nBandwidth per link in the model: min(eta x link, {args.machine_cores} shared cores / (N x the row's CPU s per GB)).\n")
    print("| hosts | link | size | channels | measured | model | error | bound by |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    errors = {}
    for r in sorted(rows, key=lambda r: (r["channels"], -r["link_mbit"], r["hosts"], r["size_mib"])):
        if r["channels"] not in fits:
            continue
        a, e = fits[r["channels"]]
        n, size, link = r["hosts"], r["size_mib"] * 2**20, r["link_mbit"] * 1e6 / 8
        cpu_bound = args.machine_cores / (n * r["cpu_s_per_gb"] / 1e9)
        model = comm_time(n, size, min(e * link, cpu_bound), a)
        errors.setdefault(r["channels"], []).append(abs(model / r["seconds"] - 1))
        print(f"| {n} | {r['link_mbit']} Mbit/s | {r['size_mib']} MiB | {r['channels']} | {r['seconds'] * 1e3:.0f} ms | {model * 1e3:.0f} ms | "
              f"{model / r['seconds'] - 1:+.0%} | {'CPU' if cpu_bound < e * link else 'link'} |")
    print()
    for channels, errs in errors.items():
        print(f"{channels} channel(s): mean absolute error {sum(errs) / len(errs):.0%}, largest {max(errs):.0%} over {len(errs)} rows.")
    print()
    alpha, eta = fits.get(args.channels) or next(iter(fits.values()))

    training = json.load(open(args.training)) if os.path.exists(args.training) else []
    hidden_measured = sorted(t["hidden"] for t in training if t["hosts"] > 1 and t["hidden"] is not None)
    hidden = args.hidden if args.hidden is not None else (hidden_measured[len(hidden_measured) // 2] if hidden_measured else 0.5)
    compute = {"GPT-2 small (124M)": args.gpt2_compute_ms / 1e3}
    for t in training:
        if t["hosts"] == 1:
            compute["baby GPT (4L/4H/128, 0.81M)" if t["model"] == "baby" else "6L/6H/384 (10.7M)"] = t["step_s"]
    compute.setdefault("baby GPT (4L/4H/128, 0.81M)", 0.05)
    compute.setdefault("6L/6H/384 (10.7M)", 0.5)

    # Beyond this machine: the software's per-step cost stays, the wire's latency is a datacenter's.
    if args.alpha_ms is not None:
        alpha = args.alpha_ms / 1e3
    if args.cpu_s_per_gb is not None:
        cpu_s_per_byte = args.cpu_s_per_gb / 1e9
    step_alpha = alpha + args.latency_us * 1e-6
    per_channel = args.chunk_bytes / (args.chunk_bytes * cpu_s_per_byte + args.message_us * 1e-6)
    print(f"Extrapolation: alpha {step_alpha * 1e3:.2f} ms per ring step ({'given' if args.alpha_ms is not None else 'fitted'} + {args.latency_us:.0f} us wire), eta {eta:.2f}, "
          f"{args.channels} channel(s) of at most {per_channel * 8 / 1e9:.1f} Gbit/s each ({args.chunk_bytes >> 10} KiB chunks, "
          f"{cpu_s_per_byte * 1e9:.2f} CPU s/GB, {args.message_us:.0f} us per message), hidden fraction {hidden:.2f}; "
          f"compute per step: " + ", ".join(f"{m.split(' (')[0]} {c * 1e3:.0f} ms" for m, c in compute.items()) + "\n")
    ns = [2 ** k for k in range(1, 10)]
    summary = []
    for gbit in (10, 25):
        bandwidth = min(eta * gbit * 1e9 / 8, args.channels * per_channel)
        print(f"**{gbit} Gbit/s links** (each delivers {bandwidth * 8 / 1e9:.1f} Gbit/s): predicted step time, exposed communication share")
        print("\n| model | gradient MB | " + " | ".join(f"N={n}" for n in ns) + " |")
        print("|---|---:|" + "---:|" * len(ns))
        for model, size in MODELS.items():
            cells, limit = [], None
            for n in ns:
                t_comm = comm_time(n, size, bandwidth, step_alpha)
                exposed = (1 - hidden) * t_comm
                step = compute[model] + exposed
                latency_dominates = step_alpha > size / (n * bandwidth)
                if limit is None and (latency_dominates or exposed / step > 0.10):
                    limit = (n, "latency terms dominate" if latency_dominates else "exposed comm > 10 %")
                cells.append(f"{step * 1e3:.0f} ms, {exposed / step:.0%}")
            print(f"| {model} | {size / 1e6:.1f} | " + " | ".join(cells) + " |")
            summary.append((gbit, model, limit))
        print()
    print("| link | model | ring stops scaling at | why |")
    print("|---:|---|---:|---|")
    for gbit, model, limit in summary:
        print(f"| {gbit} Gbit/s | {model} | {'beyond 512' if limit is None else f'N = {limit[0]}'} | {'-' if limit is None else limit[1]} |")
    print("\nPast that point: a hierarchical all-reduce (reduce inside a machine over NVLink/PCIe, ring across machines:"
          " 2(M-1) latency terms for M machines instead of 2(N-1)), larger buckets (fewer, bigger operations amortise"
          " alpha; overlap hides more), and compression (bf16 halves S; PowerSGD or top-k cut it by 10-100x) when the"
          " bandwidth term is what is exposed.")


if __name__ == "__main__":
    main()
