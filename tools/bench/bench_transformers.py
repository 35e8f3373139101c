#!/usr/bin/env python3
"""The decoder benchmark's peer: Hugging Face transformers (eager attention, bf16, CUDA) on the same weights, timed
the way `memory bench decode` times the C# decoder: per context length, one prefill of random tokens (tokens/s), then
for each batch size, that many sequences of that context decode greedily together with the KV cache for --steps
steps after one untimed step. Writes the JSON that `memory bench decode --peer FILE` reads.

    python3 tools/bench/bench_transformers.py --model /tmp/qwen25-05b --contexts 512,8192 --batches 1,8,32 \
        --steps 64 --out $OUT/transformers.json
"""
import argparse
import json
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


PREFILL_CHUNK = 1024


def sync():
    torch.cuda.synchronize()


@torch.no_grad()
def decode_rate(model, context, batch, steps, vocab, generator):
    ids = torch.randint(0, vocab, (batch, context), device="cuda", generator=generator)
    # The context goes in chunks: eager attention's scores for 32 x 8K tokens at once would need 112 GiB.
    past = None
    for start in range(0, context, PREFILL_CHUNK):
        out = model(input_ids=ids[:, start:start + PREFILL_CHUNK], past_key_values=past, use_cache=True)
        past = out.past_key_values
    nxt = out.logits[:, -1:].argmax(-1)
    out = model(input_ids=nxt, past_key_values=past, use_cache=True)  # untimed first step
    past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        out = model(input_ids=nxt, past_key_values=past, use_cache=True)
        past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
    sync()
    return batch * steps / (time.perf_counter() - start)


@torch.no_grad()
def prefill_rate(model, context, vocab, generator):
    ids = torch.randint(0, vocab, (1, context), device="cuda", generator=generator)
    model(input_ids=ids[:, :64], use_cache=True)
    sync()
    start = time.perf_counter()
    model(input_ids=ids, use_cache=True)
    sync()
    return context / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--contexts", default="512,8192")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16, attn_implementation="eager").cuda().eval()
    vocab = model.config.vocab_size
    generator = torch.Generator(device="cuda").manual_seed(1234)
    decode, prefill = {}, {}
    for context in [int(c) for c in args.contexts.split(",")]:
        prefill[str(context)] = round(prefill_rate(model, context, vocab, generator), 2)
        for batch in [int(b) for b in args.batches.split(",")]:
            decode[f"{context}x{batch}"] = round(decode_rate(model, context, batch, args.steps, vocab, generator), 2)
            print(f"context {context} batch {batch}: {decode[f'{context}x{batch}']} tok/s", flush=True)
    source = f"transformers {transformers.__version__}, torch {torch.__version__}, eager attention, bf16, {torch.cuda.get_device_name()}"
    with open(args.out, "w") as f:
        json.dump({"source": source, "decode_tokens_per_second": decode, "prefill_tokens_per_second": prefill}, f)
    print(json.dumps({"source": source, "decode": decode, "prefill": prefill}))


if __name__ == "__main__":
    main()
