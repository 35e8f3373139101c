#!/usr/bin/env python3
"""Trains the project's demo model on the GPU machine, in one call: tokenizer, model, evaluation, export.

Input: the corpus made by tools/corpus/prepare.py (train.txt.xz, valid.txt.xz, manifest.json).
Output (--out): config.json, generation_config.json, model*.safetensors (bf16, sharded under 16 MiB so each
file can travel back), tokenizer.json, tokenizer_config.json, metrics.json, reference.json (logits of a few
prompts for the C# decoder's match test).

    python3 tools/demo_model/train.py --corpus .corpus --out $OUT/demo --minutes 6.5 --seed 1234
"""
import argparse, json, lzma, math, os, random, time

import numpy as np
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM

DOC_SEP = "\n\n\x1e\n\n"
SPECIALS = ["<|endoftext|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_docs(path, max_chars=None):
    with lzma.open(path, "rt", encoding="utf-8") as f:
        text = f.read(max_chars) if max_chars else f.read()
    return [d.strip() for d in text.split(DOC_SEP) if d.strip()]


def train_tokenizer(docs, vocab_size):
    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs, trainer=trainer, length=len(docs))
    return tok


def encode_stream(tok, docs, eos):
    ids = []
    for enc in tok.encode_batch(docs):
        ids.extend(enc.ids)
        ids.append(eos)
    return np.asarray(ids, dtype=np.uint16)


class PasskeyMaker:
    """Builds 'pass key hidden in filler text' sequences: the in-context retrieval the product needs."""

    def __init__(self, tok, stream, seq_len, rng):
        self.tok, self.stream, self.seq_len, self.rng = tok, stream, seq_len, rng

    def pieces(self, key):
        needle = self.tok.encode(f" The pass key is {key}. Remember it. {key} is the pass key.").ids
        question = self.tok.encode(" What is the pass key? The pass key is").ids
        answer = self.tok.encode(f" {key}.").ids
        return needle, question, answer

    def make(self):
        key = str(self.rng.randint(10000, 99999))
        needle, question, answer = self.pieces(key)
        filler_len = self.seq_len + 1 - len(needle) - len(question) - len(answer)
        start = self.rng.randint(0, len(self.stream) - filler_len - 1)
        filler = self.stream[start:start + filler_len].tolist()
        at = self.rng.randint(0, filler_len)
        seq = filler[:at] + needle + filler[at:] + question + answer
        return seq, len(seq) - len(answer), answer


def batches(stream, maker, batch, seq_len, passkey_share, device, rng):
    while True:
        rows = []
        for _ in range(batch):
            if rng.random() < passkey_share:
                rows.append(maker.make()[0])
            else:
                s = rng.randint(0, len(stream) - seq_len - 2)
                rows.append(stream[s:s + seq_len + 1].tolist())
        t = torch.tensor(rows, dtype=torch.long, device=device)
        yield t[:, :-1], t[:, 1:]


@torch.no_grad()
def evaluate(model, valid, maker, seq_len, device, windows=128, passkey_trials=200):
    model.eval()
    nll, count = 0.0, 0
    step = max(1, (len(valid) - seq_len - 1) // windows)
    for s in range(0, min(len(valid) - seq_len - 1, step * windows), step):
        t = torch.tensor(valid[s:s + seq_len + 1].astype(np.int64), device=device)[None]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(t[:, :-1]).logits.float()
        nll += F.cross_entropy(logits[0], t[0, 1:], reduction="sum").item()
        count += seq_len
    hits = 0
    for _ in range(passkey_trials):
        seq, qend, answer = maker.make()
        ids = torch.tensor(seq[:qend], device=device)[None]
        out = []
        for _ in range(len(answer)):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                nxt = model(ids).logits[0, -1].argmax().item()
            out.append(nxt)
            ids = torch.cat([ids, torch.tensor([[nxt]], device=device)], dim=1)
        hits += int(out == answer)
    model.train()
    return math.exp(nll / count), hits / passkey_trials


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=6.5, help="wall-clock budget of the training loop")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--layers", type=int, default=7)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--passkey-share", type=float, default=0.2)
    ap.add_argument("--tokenizer-sample-mb", type=float, default=0, help="train the tokenizer on a prefix (0 = all)")
    ap.add_argument("--compile", type=int, default=1)
    args = ap.parse_args()

    random.seed(args.seed); np.random.seed(args.seed); torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    device = "cuda"
    t0 = time.time()

    train_docs = read_docs(os.path.join(args.corpus, "train.txt.xz"))
    valid_docs = read_docs(os.path.join(args.corpus, "valid.txt.xz"))
    random.Random(args.seed).shuffle(train_docs)
    sample = train_docs
    if args.tokenizer_sample_mb:
        budget, sample = int(args.tokenizer_sample_mb * 1e6), []
        for d in train_docs:
            sample.append(d); budget -= len(d)
            if budget <= 0: break
    tok = train_tokenizer(sample, args.vocab)
    eos = tok.token_to_id("<|endoftext|>")
    tok.save(os.path.join(args.out, "tokenizer.json"))
    log(f"tokenizer: {tok.get_vocab_size()} tokens in {time.time() - t0:.0f}s")

    train = encode_stream(tok, train_docs, eos)
    valid = encode_stream(tok, valid_docs, eos)
    log(f"tokens: train {len(train):,} valid {len(valid):,} ({time.time() - t0:.0f}s)")

    config = LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=args.hidden, intermediate_size=args.ffn,
                         num_hidden_layers=args.layers, num_attention_heads=args.heads,
                         num_key_value_heads=args.kv_heads, max_position_embeddings=args.seq, rope_theta=10000.0,
                         rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=eos, eos_token_id=eos,
                         pad_token_id=tok.token_to_id("<|pad|>"), hidden_act="silu", attention_bias=False)
    model = LlamaForCausalLM(config).to(device)
    params = sum(p.numel() for p in model.parameters())
    log(f"model: {params / 1e6:.2f} M parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    fwd = torch.compile(model) if args.compile else model

    rng = random.Random(args.seed + 1)
    maker = PasskeyMaker(tok, train, args.seq, rng)
    data = batches(train, maker, args.batch, args.seq, args.passkey_share, device, rng)
    # The schedule runs on wall-clock progress, not a step count: the call's time limit is what is fixed,
    # and the first steps (compilation) say little about the speed of the rest.
    budget_s, warmup = args.minutes * 60, 100
    start, step, losses = time.time(), 0, []
    while True:
        progress = (time.time() - start) / budget_s
        if progress >= 1.0:
            break
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = next(data)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = fwd(x).logits
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0:
            losses.append(loss.item())
        if step % 250 == 0:
            log(f"step {step} loss {loss.item():.3f} lr {lr:.2e} progress {progress:.2f}")
        step += 1
    train_s = time.time() - start
    tokens_seen = step * args.batch * args.seq
    log(f"trained {step} steps, {tokens_seen / 1e6:.1f} M tokens in {train_s:.0f}s")

    eval_maker = PasskeyMaker(tok, valid, args.seq, random.Random(args.seed + 2))
    ppl, passkey = evaluate(model, valid, eval_maker, args.seq, device)
    log(f"validation perplexity {ppl:.2f}, passkey@{args.seq} {passkey:.3f}")

    model = model.to(torch.bfloat16)
    model.save_pretrained(args.out, max_shard_size="12MB", safe_serialization=True)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "pad_token": "<|pad|>", "model_max_length": args.seq,
                   "chat_template": "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
                                    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"}, f, indent=1)

    # Reference logits for the C# decoder: bf16 weights, fp32 compute, first and last positions.
    ref = {"prompts": []}
    model32 = model.float().eval()
    for text in ["The pass key is 12345. Remember it.", "Hemlock, n. A poisonous herb", "A computer is"]:
        ids = tok.encode(text).ids
        with torch.no_grad():
            lg = model32(torch.tensor([ids], device=device)).logits[0]
        greedy = model32.generate(torch.tensor([ids], device=device), max_new_tokens=32, do_sample=False,
                                  pad_token_id=config.pad_token_id)[0, len(ids):].tolist()
        ref["prompts"].append({"text": text, "ids": ids, "last_logits": lg[-1].tolist(),
                               "first_logits": lg[0].tolist(), "greedy32": greedy})
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(ref, f)

    metrics = {"parameters": params, "steps": step, "batch": args.batch, "seq_len": args.seq,
               "tokens_seen": tokens_seen, "train_seconds": round(train_s, 1),
               "train_tokens": int(len(train)), "valid_tokens": int(len(valid)),
               "validation_perplexity": round(ppl, 3), "passkey_accuracy_2k": passkey, "passkey_trials": 200,
               "passkey_share": args.passkey_share, "lr": args.lr, "seed": args.seed,
               "loss_every_50_steps": [round(l, 4) for l in losses], "device": torch.cuda.get_device_name(0),
               "torch": torch.__version__, "total_seconds": round(time.time() - t0, 1)}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    log(json.dumps({k: v for k, v in metrics.items() if k != "loss_every_50_steps"}))


if __name__ == "__main__":
    main()
