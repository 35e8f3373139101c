#!/usr/bin/env python3
"""Builds tiny random-initialised Llama-3-style and Qwen2.5-style models from real config shapes, a byte-level BPE
tokenizer.json for each (trained with `tokenizers`), saves them as safetensors (bf16 and fp16, the Llama bf16 one
sharded), and writes reference logits and 32-token greedy continuations for fixed prompts.

Runs on the GPU machine (PyTorch, transformers, tokenizers; no network). Usage:
    python3 tools/make_reference.py OUT_DIR
Two references per model:
  * "exact": the saved 16-bit weights upcast to float64 on the CPU (what a kernel with 16-bit weights and fp32
    accumulation should reproduce up to fp32 rounding), logits for every prompt position and greedy continuation;
  * "native": the same weights run natively in their 16-bit dtype on CUDA with eager attention (what a PyTorch user
    would see), for the informational comparison.
"""
import base64
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import transformers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

SEED = 1234
GREEDY_STEPS = 32
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")

CORPUS = """The quick brown fox jumps over the lazy dog. A memory service remembers what users told it yesterday.
Alice likes green tea in the morning and coffee after lunch; Bob prefers water.
In 2024 the team shipped 3 releases, 12 fixes and 1,024 tests. Numbers like 3.14159 and 2718 appear too.
def add(a, b):\n    return a + b\n\nfor i in range(10):\n    print(i * i)
The attention layer reads keys and values from paged blocks of 256 tokens each.
She said: "I'll be there at 5 o'clock, don't wait for me!" He's sure they'd agree.
Memory, context and retrieval: episodes are cut where surprise is high.
Les élèves étudient la mémoire; naïve café résumé. Grüße aus München! 東京 and 北京 are cities.
Tabs\tand  double  spaces, newlines\n\nand punctuation... (brackets) [lists] {braces} <tags> #hash @at $5 %20
""".strip()
PROMPTS = [
    "The quick brown fox",
    "Alice likes green tea, and Bob's 1,024 tests!",
    "def add(a, b):\n    return",
]


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def build_tokenizer(pattern, specials, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS.split("\n") * 4, trainer)
    return tok


def randomise_norms_and_biases(model, generator):
    # HF initialises RMSNorm weights to 1 and linear biases to 0, which would leave both untested.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=generator))
            elif name.endswith(".bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def greedy(model, ids, device):
    seq = list(ids)
    margins = []
    with torch.no_grad():
        for _ in range(GREEDY_STEPS):
            logits = model(torch.tensor([seq], device=device)).logits[0, -1].double()
            top = torch.topk(logits, 2)
            margins.append(float(top.values[0] - top.values[1]))
            seq.append(int(torch.argmax(logits)))
    return seq[len(ids):], min(margins)


def prompt_logits(model, ids, device):
    with torch.no_grad():
        return model(torch.tensor([ids], device=device)).logits[0].double().cpu().numpy()


def load(path, dtype, device):
    try:
        m = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, attn_implementation="eager")
    except TypeError:
        m = AutoModelForCausalLM.from_pretrained(path, torch_dtype=dtype, attn_implementation="eager")
    return m.to(device).eval()


def make_variant(name, model, tok, dtype, out_dir, bos, shard):
    path = os.path.join(out_dir, name)
    os.makedirs(path, exist_ok=True)
    m16 = copy.deepcopy(model).to(dtype)
    if shard:
        m16.save_pretrained(path, safe_serialization=True, max_shard_size="48KB")
    else:
        m16.save_pretrained(path, safe_serialization=True)
    tok.save(os.path.join(path, "tokenizer.json"))
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": bos}, f)
    exact = load(path, torch.float64, "cpu")
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    native = load(path, dtype, dev)
    rotary = getattr(exact.model, "rotary_emb", None)
    inv_freq = rotary.inv_freq.double().cpu().numpy() if rotary is not None else None
    bos_id = tok.token_to_id(bos) if bos else None
    prompts = []
    worst_native = 0.0
    for text in PROMPTS:
        text_ids = tok.encode(text).ids
        ids = ([bos_id] if bos_id is not None else []) + text_ids
        ex = prompt_logits(exact, ids, "cpu")
        na = prompt_logits(native, ids, dev)
        worst_native = max(worst_native, float(np.abs(ex - na).max()))
        cont, margin = greedy(exact, ids, "cpu")
        cont_native, _ = greedy(native, ids, dev)
        prompts.append({"text": text, "text_ids": text_ids, "input_ids": ids,
                        "exact_logits": b64(ex), "native_logits": b64(na),
                        "greedy": cont, "greedy_min_margin": margin, "native_greedy": cont_native,
                        "decoded_greedy": tok.decode(cont)})
    ref = {"variant": name, "dtype": str(dtype).replace("torch.", ""), "vocab_size": int(exact.config.vocab_size),
           "torch": torch.__version__, "transformers": transformers.__version__,
           "inv_freq": None if inv_freq is None else inv_freq.tolist(),
           "max_abs_native_vs_exact": worst_native, "prompts": prompts}
    with open(os.path.join(path, "reference.json"), "w") as f:
        json.dump(ref, f)
    print(f"{name}: vocab {ref['vocab_size']} native-vs-exact max|dlogit| {worst_native:.3e} "
          f"min greedy margin {min(p['greedy_min_margin'] for p in prompts):.3e} "
          f"native greedy equal {[p['greedy'] == p['native_greedy'] for p in prompts]}", flush=True)


def rope_kwargs(theta, scaling):
    if int(transformers.__version__.split(".")[0]) >= 5:
        params = {"rope_type": "default", "rope_theta": theta}
        if scaling:
            params.update(scaling)
        return {"rope_parameters": params}
    return {"rope_theta": theta, "rope_scaling": scaling}


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)

    llama_specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    ltok = build_tokenizer(LLAMA3_PATTERN, llama_specials, 320)
    lv = ltok.get_vocab_size()
    lcfg = LlamaConfig(vocab_size=lv, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                       num_attention_heads=3, num_key_value_heads=1, head_dim=16, max_position_embeddings=1024,
                       rms_norm_eps=1e-5, initializer_range=0.1, tie_word_embeddings=False,
                       bos_token_id=ltok.token_to_id("<|begin_of_text|>"),
                       eos_token_id=ltok.token_to_id("<|eot_id|>"),
                       **rope_kwargs(500000.0, {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                "high_freq_factor": 4.0, "original_max_position_embeddings": 64}))
    llama = LlamaForCausalLM(lcfg)
    randomise_norms_and_biases(llama, gen)
    make_variant("tiny-llama3-bf16", llama, ltok, torch.bfloat16, out_dir, "<|begin_of_text|>", shard=True)
    make_variant("tiny-llama3-fp16", llama, ltok, torch.float16, out_dir, "<|begin_of_text|>", shard=False)

    qwen_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    qtok = build_tokenizer(QWEN2_PATTERN, qwen_specials, 320)
    qv = qtok.get_vocab_size()
    qcfg = Qwen2Config(vocab_size=qv, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                       num_attention_heads=3, num_key_value_heads=1, max_position_embeddings=1024,
                       rms_norm_eps=1e-6, initializer_range=0.1, tie_word_embeddings=True,
                       use_sliding_window=False, bos_token_id=qtok.token_to_id("<|endoftext|>"),
                       eos_token_id=qtok.token_to_id("<|im_end|>"), **rope_kwargs(1000000.0, None))
    qwen = Qwen2ForCausalLM(qcfg)
    randomise_norms_and_biases(qwen, gen)
    make_variant("tiny-qwen25-bf16", qwen, qtok, torch.bfloat16, out_dir, None, shard=False)
    make_variant("tiny-qwen25-fp16", qwen, qtok, torch.float16, out_dir, None, shard=False)


if __name__ == "__main__":
    main()
