#!/usr/bin/env bash
# Effect of bf16 gradient compression on the loss: the same 2-worker job (baby-GPT shape, tinyshakespeare char)
# trained with float32 and with bf16 gradients on the wire, same seed; prints final train/val loss, their difference,
# and throughput. STEPS=... to change the length (default 500).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
steps=${STEPS:-500}
out=bench/out/compression
data=bench/out/shakespeare-char
[ -f "$data/meta.json" ] || ./orchestrator prepare --input ../shared/data/tinyshakespeare.txt --tokenizer char --out "$data" --force >/dev/null
mkdir -p "$out"
declare -A val train tps
for c in none bf16; do
  rm -rf "$out/$c"
  ./orchestrator train --data "$data" --out "$out/$c" --workers 2 --threads 1 --n-layer 4 --n-head 4 --n-embd 128 \
    --block-size 64 --batch-size 6 --lr 1e-3 --min-lr 1e-4 --warmup-steps 50 --beta2 0.99 --dropout 0 \
    --max-steps "$steps" --eval-interval "$steps" --eval-batches 50 --checkpoint-interval 0 --log-interval 50 \
    --replica-check-interval 100 --grad-compression "$c" > "$out/$c.log" 2>&1
  val[$c]=$(grep '"kind":"eval"' "$out/$c/metrics.jsonl" | tail -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["loss"])')
  train[$c]=$(grep '"kind":"train"' "$out/$c/metrics.jsonl" | tail -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["loss"])')
  tps[$c]=$(grep '"kind":"train"' "$out/$c/metrics.jsonl" | python3 -c 'import json,sys; r=[json.loads(l)["tokens_per_sec"] for l in sys.stdin]; r=r[1:] or r; print(sum(r)/len(r))')
done
printf '| gradients | final train loss | val loss (%s steps) | tokens/s |\n|---|---:|---:|---:|\n' "$steps"
for c in none bf16; do printf '| %s | %.4f | %.4f | %.0f |\n' "$c" "${train[$c]}" "${val[$c]}" "${tps[$c]}"; done
python3 -c "print(f'| bf16 - fp32 | {${train[bf16]}-${train[none]}:+.4f} | {${val[bf16]}-${val[none]}:+.4f} | ratio {${tps[bf16]}/${tps[none]}:.2f} |')"
