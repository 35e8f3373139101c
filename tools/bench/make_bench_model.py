#!/usr/bin/env python3
"""Builds the decoder benchmark's model: a randomly initialised model of the Qwen2.5-0.5B configuration (hidden 896,
24 layers, 14 query heads and 2 KV heads of 64, SwiGLU 4864, vocabulary 151,936, tied embeddings, QKV bias), saved as
bf16 safetensors with its config.json. The decoder benchmark feeds random token ids, so no tokenizer is needed.

Runs on the GPU machine (PyTorch + transformers, no network):
    python3 tools/bench/make_bench_model.py --out /tmp/qwen25-05b
"""
import argparse
import json
import os

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    config = Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
        rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True, torch_dtype="bfloat16",
        bos_token_id=151643, eos_token_id=151643, initializer_range=0.02)
    model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True, max_shard_size="2GB")
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"out": args.out, "parameters": params}))


if __name__ == "__main__":
    main()
