"""GPT-2 in Hugging Face's layout, independently of the C# code under test (PyTorch 1.13, no transformers or safetensors).

  make DIR --n-layer L --n-head H --n-embd C --n-positions P --vocab V --eps E --seed S [--prefix] [--untied]
       [--drop KEY] [--wrong-shape KEY]   (a broken file: one tensor left out, or one transposed)
      writes DIR/config.json and DIR/model.safetensors as transformers' GPT2LMHeadModel stores them: Conv1D weights
      [in, out], attn.bias / attn.masked_bias buffers, the head only when untied; random weights (LayerNorm gains
      and biases too, so every tensor matters).
  forward DIR TOKENS OUT
      reads DIR like transformers would, runs GPT-2's forward (tanh GELU for gelu_new, LayerNorm eps from config.json,
      tied head) on the int64 token ids in TOKENS ([B, T+1]: inputs are [:, :-1], targets [:, 1:]), writes the logits
      (float32, [B, T, V]) to OUT and prints {"loss": ...}.
  encode DIR TEXT_FILE
      GPT-2's byte-level BPE from DIR/vocab.json + merges.txt, or from DIR/tokenizer.json's BPE model (the published
      algorithm; ASCII text), prints the ids as JSON.
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "F64": torch.float64, "BF16": torch.bfloat16, "U8": torch.uint8, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        start, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[e["dtype"]]) if end > start else torch.empty(0, dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def make(directory, n_layer, n_head, n_embd, n_positions, vocab, eps, seed, prefix, untied, drop=None, wrong_shape=None):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *shape, std=0.02: torch.randn(*shape, generator=g) * std
    c = n_embd
    w = {"wte.weight": rnd(vocab, c, std=0.1), "wpe.weight": rnd(n_positions, c, std=0.1)}
    for i in range(n_layer):
        b = f"h.{i}."
        for ln in ("ln_1", "ln_2"):
            w[b + ln + ".weight"] = 1 + rnd(c, std=0.2)
            w[b + ln + ".bias"] = rnd(c, std=0.2)
        w[b + "attn.bias"] = torch.tril(torch.ones(n_positions, n_positions)).view(1, 1, n_positions, n_positions)
        w[b + "attn.masked_bias"] = torch.tensor(-1e4)
        w[b + "attn.c_attn.weight"] = rnd(c, 3 * c, std=0.2)
        w[b + "attn.c_attn.bias"] = rnd(3 * c, std=0.1)
        w[b + "attn.c_proj.weight"] = rnd(c, c, std=0.2)
        w[b + "attn.c_proj.bias"] = rnd(c, std=0.1)
        w[b + "mlp.c_fc.weight"] = rnd(c, 4 * c, std=0.2)
        w[b + "mlp.c_fc.bias"] = rnd(4 * c, std=0.1)
        w[b + "mlp.c_proj.weight"] = rnd(4 * c, c, std=0.2)
        w[b + "mlp.c_proj.bias"] = rnd(c, std=0.1)
    w["ln_f.weight"] = 1 + rnd(c, std=0.2)
    w["ln_f.bias"] = rnd(c, std=0.2)
    tensors = {("transformer." + k if prefix else k): v for k, v in w.items()}
    if untied:
        tensors["lm_head.weight"] = rnd(vocab, c, std=0.1)
    if drop:
        del tensors[drop]
    if wrong_shape:
        tensors[wrong_shape] = tensors[wrong_shape].t().contiguous()  # e.g. a Conv1D weight stored [out, in]
    write_safetensors(f"{directory}/model.safetensors", tensors, {"format": "pt"})
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": n_layer, "n_head": n_head, "n_embd": n_embd,
              "n_positions": n_positions, "n_ctx": n_positions, "vocab_size": vocab, "layer_norm_epsilon": eps,
              "activation_function": "gelu_new", "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
              "tie_word_embeddings": not untied, "bos_token_id": 50256, "eos_token_id": 50256}
    with open(f"{directory}/config.json", "w") as f:
        json.dump(config, f, indent=2)


def gelu(x, kind):
    if kind in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def forward(directory, tokens):
    config = json.load(open(f"{directory}/config.json"))
    raw = read_safetensors(f"{directory}/model.safetensors")
    w = {(k[len("transformer."):] if k.startswith("transformer.") else k): v.double() for k, v in raw.items()}
    eps, c, nh = config["layer_norm_epsilon"], config["n_embd"], config["n_head"]
    act = config.get("activation_function", "gelu_new")
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (c,), w[p + ".weight"], w[p + ".bias"], eps)
    conv1d = lambda x, p: x @ w[p + ".weight"] + w[p + ".bias"]  # Conv1D: weight [in, out]
    B, T = tokens.shape
    x = w["wte.weight"][tokens] + w["wpe.weight"][torch.arange(T)]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(config["n_layer"]):
        b = f"h.{i}."
        q, k, v = conv1d(ln(x, b + "ln_1"), b + "attn.c_attn").split(c, dim=2)
        heads = lambda t: t.view(B, T, nh, c // nh).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // nh)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, c)
        x = x + conv1d(y, b + "attn.c_proj")
        x = x + conv1d(gelu(conv1d(ln(x, b + "ln_2"), b + "mlp.c_fc"), act), b + "mlp.c_proj")
    x = ln(x, "ln_f")
    head = w["lm_head.weight"] if not config.get("tie_word_embeddings", True) else w["wte.weight"]
    return x @ head.t()


def bpe_encode(directory, text):
    import os
    if os.path.exists(f"{directory}/vocab.json"):
        vocab = json.load(open(f"{directory}/vocab.json", encoding="utf-8"))
        lines = [line for line in open(f"{directory}/merges.txt", encoding="utf-8").read().split("\n")[1:] if line]
    else:  # the tokenizers library's tokenizer.json: a byte-level BPE model
        model = json.load(open(f"{directory}/tokenizer.json", encoding="utf-8"))["model"]
        assert model["type"] == "BPE"
        vocab, lines = model["vocab"], [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    ranks = {tuple(line.split(" ")): i for i, line in enumerate(lines)}
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_encoder = dict(zip(bs, map(chr, cs)))
    # GPT-2's pre-tokenizer regex with \p{L} / \p{N} spelled for ASCII (Debian's Python has no `regex` module): the same
    # split for the ASCII text the tests encode.
    import re
    pattern = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
    if any(ord(ch) > 127 for ch in text):
        raise SystemExit("encode handles ASCII text only")
    ids = []
    for piece in pattern.findall(text):
        word = [byte_encoder[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            pairs = [(ranks.get((word[i], word[i + 1]), math.inf), i) for i in range(len(word) - 1)]
            best, i = min(pairs)
            if best == math.inf:
                break
            word = word[:i] + [word[i] + word[i + 1]] + word[i + 2:]
        ids.extend(vocab[t] for t in word)
    return ids


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "make":
        args = sys.argv[3:]
        opt = lambda name: args[args.index(name) + 1]
        make(sys.argv[2], int(opt("--n-layer")), int(opt("--n-head")), int(opt("--n-embd")), int(opt("--n-positions")),
             int(opt("--vocab")), float(opt("--eps")), int(opt("--seed")), "--prefix" in args, "--untied" in args,
             opt("--drop") if "--drop" in args else None, opt("--wrong-shape") if "--wrong-shape" in args else None)
    elif command == "forward":
        directory, tokens_path, out = sys.argv[2:5]
        raw = open(tokens_path, "rb").read()
        shape = struct.unpack("<qq", raw[:16])
        tokens = torch.frombuffer(bytearray(raw[16:]), dtype=torch.int64).reshape(shape)
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        logits = forward(directory, inputs)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        open(out, "wb").write(logits.float().contiguous().numpy().tobytes())
        print(json.dumps({"loss": loss.item()}))
    elif command == "encode":
        print(json.dumps(bpe_encode(sys.argv[2], open(sys.argv[3], encoding="utf-8").read())))
    else:
        raise SystemExit(f"unknown command {command}")
