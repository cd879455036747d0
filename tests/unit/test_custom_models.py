"""Models from outside the catalog: a config.json, a .gguf file, a Hub repo id; and the user catalog.

Everything is made here: config files, GGUF files written byte by byte with a tiny
writer independent of vramtui's reader, and a local HTTP server that serves the
Hub's file layout to the real huggingface_hub client.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vramtui.catalog.loader import Catalog
from vramtui.core.arch import CONV, FULL, SLIDING
from vramtui.core.errors import ModelSourceError, VramtuiError
from vramtui.core.kv import kv_cache
from vramtui.core.quantization import weights

from vramtui.answers import Resolved, Selection, answer
from vramtui.sources import add_to_catalog, is_repo_id, looks_like_path, resolve_custom_model
from vramtui.sources.local import from_path

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- config.json fixtures

LLAMA_31_8B = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "hidden_act": "silu",
    "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
    "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.42.3", "use_cache": True, "vocab_size": 128256,
}
LLAMA_PARAMS = 8030261248

DEEPSEEK_V3 = {
    "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
    "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
    "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128,
    "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
    "first_k_dense_replace": 3, "moe_layer_freq": 1, "kv_lora_rank": 512, "q_lora_rank": 1536,
    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128, "vocab_size": 129280,
    "max_position_embeddings": 163840, "num_nextn_predict_layers": 1, "topk_method": "noaux_tc",
    "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]},
}

GEMMA3_27B = {
    "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
    "text_config": {
        "model_type": "gemma3_text", "hidden_size": 5376, "intermediate_size": 21504,
        "num_hidden_layers": 62, "num_attention_heads": 32, "num_key_value_heads": 16,
        "head_dim": 128, "sliding_window": 1024, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
        "query_pre_attn_scalar": 168,
    },
    "vision_config": {"hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
                      "model_type": "siglip_vision_model", "num_attention_heads": 16,
                      "num_hidden_layers": 27, "patch_size": 14},
    "torch_dtype": "bfloat16",
}

MISTRAL_V01 = {
    "architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
    "intermediate_size": 14336, "max_position_embeddings": 32768, "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 8, "sliding_window": 4096,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 32000,
}


def write_model_dir(folder: Path, config: dict, total_size: int | None = None, **metadata) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    if total_size is not None or metadata:
        meta = dict(metadata)
        if total_size is not None:
            meta["total_size"] = total_size
        index = {"metadata": meta, "weight_map": {
            "model.embed_tokens.weight": "model-00001-of-00004.safetensors",
            "lm_head.weight": "model-00004-of-00004.safetensors",
        }}
        (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    return folder


def same_numbers(catalog: Catalog, a_id: str, b_entry) -> None:
    """The catalog model `a_id` and the custom `b_entry` give identical answers for every quant and context."""
    cat = Catalog(dict(catalog.models), catalog.quants, catalog.gpus, catalog.devices)
    b = add_to_catalog(cat, b_entry)
    res = Resolved(cat)
    for ctx in (2048, 32768, None):
        sel_a = Selection(a_id, "Q4_K_M", ctx, all_quants=True, target="rtx-4090")
        sel_b = Selection(b.id, "Q4_K_M", ctx, all_quants=True, target="rtx-4090")
        ans_a, ans_b = answer(res, sel_a), answer(res, sel_b)
        rows_a = {r.entry.name: r for r in ans_a.quants}
        rows_b = {r.entry.name: r for r in ans_b.quants}
        assert rows_a.keys() == rows_b.keys()
        for name, ra in rows_a.items():
            rb = rows_b[name]
            assert rb.memory.weights == ra.memory.weights, name
            assert rb.memory.kv == ra.memory.kv, name
            assert rb.memory.total_bytes == ra.memory.total_bytes, name
            assert rb.full_context_total_bytes == ra.full_context_total_bytes, name
        assert ans_b.recommended == ans_a.recommended
        assert ans_b.quant_row.on_target == ans_a.quant_row.on_target


# ---------------------------------------------------------------- config.json


def test_llama_config_and_index_match_the_catalog_entry(tmp_path, catalog) -> None:
    folder = write_model_dir(tmp_path / "Llama-3.1-8B-Instruct", LLAMA_31_8B, total_size=2 * LLAMA_PARAMS)
    cat_entry = catalog.models["llama-3.1-8b-instruct"]
    for text in (str(folder), str(folder / "config.json")):
        entry = resolve_custom_model(text, tmp_path / "cache")
        assert entry is not None
        assert entry.params == LLAMA_PARAMS == cat_entry.params and entry.params_exact
        assert entry.id == "llama-3.1-8b-instruct" and entry.source == str(folder / "config.json")
        assert entry.architecture == cat_entry.architecture
        for name, q in catalog.quants.items():
            core_q = q.to_core()
            assert weights(entry.architecture, core_q) == weights(cat_entry.architecture, core_q), name
        for ctx in (1, 2048, 8192, 131072):
            assert kv_cache(entry.architecture, ctx) == kv_cache(cat_entry.architecture, ctx)
        same_numbers(catalog, "llama-3.1-8b-instruct", entry)


def test_parameter_count_sources(tmp_path) -> None:
    # total_parameters (newer transformers) wins over total_size; no index: computed, not exact.
    a = from_path(write_model_dir(tmp_path / "a", LLAMA_31_8B, total_size=123, total_parameters=LLAMA_PARAMS))
    assert (a.params, a.params_exact) == (LLAMA_PARAMS, True)
    b = from_path(write_model_dir(tmp_path / "b", LLAMA_31_8B))
    assert not b.params_exact and b.params == LLAMA_PARAMS  # the shapes give the same count for Llama
    assert "parameters from the config's shapes (computed" in b.description  # (once read "from computed from")
    # A quantized checkpoint's total_size is not params × dtype bytes: it is not used.
    c = from_path(write_model_dir(tmp_path / "c", DEEPSEEK_V3, total_size=688_586_727_753))
    assert not c.params_exact
    # Nor is a total_size that torch_dtype would turn into half the model (float32 declared, bf16 files).
    f32 = from_path(write_model_dir(tmp_path / "f32", {**LLAMA_31_8B, "torch_dtype": "float32"},
                                    total_size=2 * LLAMA_PARAMS))
    assert (f32.params, f32.params_exact) == (LLAMA_PARAMS, False)
    # Safetensors headers beside the config are exact, whatever the dtypes.
    d = write_model_dir(tmp_path / "d", LLAMA_31_8B)
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "w1": {"dtype": "BF16", "shape": [1000, 7], "data_offsets": [0, 14000]},
                         "w2": {"dtype": "F8_E4M3", "shape": [3], "data_offsets": [14000, 14003]}}).encode()
    (d / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(14003))
    assert (from_path(d).params, from_path(d).params_exact) == (7003, True)


def test_mla_config_kv(tmp_path) -> None:
    entry = from_path(write_model_dir(tmp_path / "DeepSeek-V3", DEEPSEEK_V3))
    a = entry.architecture
    assert a.mla is not None and a.layers == 61
    for ctx in (4096, 163840):
        # one latent of kv_lora_rank + qk_rope_head_dim per token per layer, not 2 × heads × head_dim
        assert kv_cache(a, ctx).total == 61 * (512 + 64) * ctx * 2
        assert kv_cache(a, ctx, "q8_0").total == 61 * (512 + 64) * ctx * 34 // 32


def test_sliding_window_configs_kv(tmp_path) -> None:
    gemma = from_path(write_model_dir(tmp_path / "gemma-3-27b-it", GEMMA3_27B)).architecture
    assert (gemma.count(FULL), gemma.count(SLIDING), gemma.sliding_window) == (10, 52, 1024)
    per_token = 2 * 16 * 128 * 2  # K and V, 16 KV heads of 128, f16
    for ctx in (512, 1024, 32768, 131072):
        # a sliding layer holds its window + one 512-token micro-batch (llama.cpp's iSWA cache)
        assert kv_cache(gemma, ctx).total == (10 * ctx + 52 * min(ctx, 1024 + 512)) * per_token
    mistral = from_path(write_model_dir(tmp_path / "Mistral-7B-v0.1", MISTRAL_V01)).architecture
    assert mistral.count(SLIDING) == 32
    for ctx in (2048, 4096, 32768):
        assert kv_cache(mistral, ctx).total == 32 * min(ctx, 4096 + 512) * 2 * 8 * 128 * 2


def test_config_missing_num_hidden_layers_names_field_and_file(tmp_path) -> None:
    cfg = {k: v for k, v in LLAMA_31_8B.items() if k != "num_hidden_layers"}
    folder = write_model_dir(tmp_path / "broken", cfg)
    with pytest.raises(ModelSourceError) as e:
        resolve_custom_model(str(folder), tmp_path)
    assert e.value.field == "num_hidden_layers" and isinstance(e.value, VramtuiError)
    assert str(folder / "config.json") in str(e.value)


def test_cli_exits_2_naming_the_missing_field_and_the_file(tmp_path) -> None:
    cfg = {k: v for k, v in LLAMA_31_8B.items() if k != "num_hidden_layers"}
    path = write_model_dir(tmp_path / "broken", cfg) / "config.json"
    r = subprocess.run([sys.executable, "-m", "vramtui", "estimate", str(path)],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "num_hidden_layers" in r.stderr and str(path) in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_json_and_missing_paths_are_clear(tmp_path) -> None:
    bad = tmp_path / "bad" / "config.json"
    bad.parent.mkdir()
    bad.write_text('{"model_type": "llama",\n  "hidden_size": }')
    with pytest.raises(ModelSourceError, match=r"config\.json: is not valid JSON \(line 2"):
        from_path(bad)
    with pytest.raises(ModelSourceError, match="no such file"):
        resolve_custom_model(str(tmp_path / "nope" / "config.json"), tmp_path)
    with pytest.raises(ModelSourceError, match="no config.json and no .gguf"):
        from_path(tmp_path)


def test_what_counts_as_a_path_or_a_repo_id(tmp_path) -> None:
    assert looks_like_path("./model") and looks_like_path("x/config.json") and looks_like_path("a.gguf")
    assert looks_like_path(str(tmp_path)) and looks_like_path("/abs/dir") and looks_like_path("~/m")
    assert not looks_like_path("Qwen/Qwen3-8B") and not looks_like_path("llama 3.1 8b")
    assert is_repo_id("Qwen/Qwen3-8B") and is_repo_id("meta-llama/Llama-3.1-8B-Instruct")
    assert not is_repo_id("llama 3.1") and not is_repo_id("a/b/c") and not is_repo_id("qwen3-8b")
    assert resolve_custom_model("llama 3.1 8b", tmp_path) is None


# ---------------------------------------------------------------- GGUF: a writer independent of the reader

# ggml type: (id, weights per block, bytes per block), from ggml-common.h
BLOCKS = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q8_0": (8, 32, 34),
          "Q4_K": (12, 256, 144), "Q5_K": (13, 256, 176), "Q6_K": (14, 256, 210), "BF16": (30, 1, 2)}
U8, I32, U32, F32, BOOL, STR, ARR, U64 = 0, 5, 4, 6, 7, 8, 9, 10
_FMT = {U8: "B", I32: "i", U32: "I", F32: "f", BOOL: "?", U64: "Q"}


def _str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def _val(vtype: int, v) -> bytes:
    if vtype == STR:
        return _str(v)
    if vtype == ARR:
        etype, items = v
        return struct.pack("<IQ", etype, len(items)) + b"".join(_val(etype, x) for x in items)
    return struct.pack("<" + _FMT[vtype], v)


def tensor_nbytes(ttype: str, shape: tuple[int, ...]) -> int:
    _, per_block, block_bytes = BLOCKS[ttype]
    n = 1
    for d in shape:
        n *= d
    assert shape[0] % per_block == 0
    return n // per_block * block_bytes


def write_gguf(path: Path, kv: dict, tensors: list[tuple[str, str, tuple[int, ...]]], alignment: int = 32) -> dict:
    """A real GGUF v3 file: header, tensor infos, zero-filled data, each tensor padded to `alignment`."""
    if alignment != 32:
        kv = {**kv, "general.alignment": (U32, alignment)}
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)))
    for key, (vtype, v) in kv.items():
        out += _str(key) + struct.pack("<I", vtype) + _val(vtype, v)
    offset, padded = 0, []
    for name, ttype, shape in tensors:
        out += _str(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
        out += struct.pack("<IQ", BLOCKS[ttype][0], offset)
        size = tensor_nbytes(ttype, shape)
        pad = -(-size // alignment) * alignment
        padded.append(pad)
        offset += pad
    data_offset = -(-len(out) // alignment) * alignment
    out += bytes(data_offset - len(out))
    path.write_bytes(bytes(out) + bytes(offset))
    return {"data_offset": data_offset, "padded": padded, "size": data_offset + offset,
            "raw": [tensor_nbytes(t, s) for _, t, s in tensors],
            "elements": sum(_prod(s) for _, _, s in tensors)}


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def llama_kv(arch="llama", layers=2, hidden=256, heads=4, kv_heads=2, ff=512, vocab=300, ftype=15, **extra):
    kv = {
        "general.architecture": (STR, arch), "general.name": (STR, "Tiny Test Model"),
        "general.file_type": (U32, ftype), "general.quantization_version": (U32, 2),
        f"{arch}.block_count": (U32, layers), f"{arch}.context_length": (U32, 4096),
        f"{arch}.embedding_length": (U32, hidden), f"{arch}.feed_forward_length": (U32, ff),
        f"{arch}.attention.head_count": (U32, heads),
        f"{arch}.attention.head_count_kv": kv_heads if isinstance(kv_heads, tuple) else (U32, kv_heads),
        f"{arch}.attention.layer_norm_rms_epsilon": (F32, 1e-5),
        "tokenizer.ggml.model": (STR, "gpt2"),
        "tokenizer.ggml.tokens": (ARR, (STR, [f"tok{i}" for i in range(vocab)])),
        "tokenizer.ggml.token_type": (ARR, (I32, [1] * vocab)),
        # longer than the reader keeps: skipped, never stored
        "tokenizer.ggml.merges": (ARR, (STR, [f"a{i} b{i}" for i in range(5000)])),
        "tokenizer.ggml.scores": (ARR, (F32, [0.0] * 5000)),
    }
    kv.update(extra)
    return kv


def llama_tensors(layers=2, hidden=256, kv_dim=128, ff=512, vocab=300, tied=False):
    t = [("token_embd.weight", "Q4_K", (hidden, vocab))]
    for i in range(layers):
        p = f"blk.{i}."
        t += [
            (p + "attn_norm.weight", "F32", (hidden,)),
            (p + "attn_q.weight", "Q4_K", (hidden, hidden)),
            (p + "attn_k.weight", "Q4_K", (hidden, kv_dim)),
            (p + "attn_v.weight", "Q6_K", (hidden, kv_dim)),
            (p + "attn_output.weight", "Q4_K", (hidden, hidden)),
            (p + "ffn_norm.weight", "F32", (hidden,)),
            (p + "ffn_gate.weight", "Q4_K", (hidden, ff)),
            (p + "ffn_up.weight", "Q8_0" if i else "Q5_K", (hidden, ff)),
            (p + "ffn_down.weight", "Q6_K", (ff, hidden)),
        ]
    t.append(("output_norm.weight", "F32", (hidden,)))
    if not tied:
        t.append(("output.weight", "Q6_K", (hidden, vocab)))
    t.append(("rope_freqs.weight", "F32", (32,)))
    return t


@pytest.mark.parametrize("alignment", [32, 64])
def test_gguf_weights_are_the_sum_of_its_tensor_bytes(tmp_path, catalog, alignment) -> None:
    path = tmp_path / "Tiny-Q4_K_M.gguf"
    tensors = llama_tensors()
    w = write_gguf(path, llama_kv(), tensors, alignment)
    entry = resolve_custom_model(str(path), tmp_path)
    assert entry is not None and entry.gguf_file is not None
    f = entry.gguf_file
    assert f.file_type == "Q4_K_M" == entry.file_quant and f.header_bytes == w["data_offset"]
    assert [(t.name, t.type, t.shape) for t in f.tensors] == tensors
    assert entry.params == w["elements"] - 32 and entry.params_exact  # rope_freqs is a table, not a weight
    assert entry.name == "Tiny Test Model" and entry.id == "tiny-q4_k_m" and entry.source == str(path)

    q = entry.quantization(catalog.quants["Q4_K_M"].to_core())
    assert q.gguf_file is f and q.is_gguf
    wb = weights(entry.architecture, q)
    assert wb.tensor_bytes == sum(w["padded"])  # each tensor's bytes, padded to the file's alignment
    assert 0 < wb.tensor_bytes - sum(w["raw"]) < alignment * len(tensors)
    assert wb.header_bytes == w["data_offset"] and wb.total == w["size"] == path.stat().st_size
    assert dict(wb.by_type)["Q6_K"] == sum(p for p, (_, t, _) in zip(w["padded"], tensors) if t == "Q6_K")
    # other quantizations stay estimates from the architecture the header describes
    other = catalog.quants["Q8_0"].to_core()
    assert entry.quantization(other) is other
    a = entry.architecture
    assert (a.layers, a.hidden, a.heads, a.kv_heads, a.head_dim, a.vocab, a.context) == (2, 256, 4, 2, 64, 300, 4096)
    assert not a.tied_embeddings
    assert kv_cache(a, 4096).total == 2 * (2 * 2 * 64) * 4096 * 2


def test_gguf_exact_weights_reach_the_answer(tmp_path, catalog) -> None:
    path = tmp_path / "tiny.gguf"
    w = write_gguf(path, llama_kv(), llama_tensors())
    entry = resolve_custom_model(str(path), tmp_path)
    cat = Catalog(dict(catalog.models), catalog.quants, catalog.gpus, catalog.devices)
    entry = add_to_catalog(cat, entry)
    res = Resolved(cat)
    q = entry.quantization(res.quants["Q4_K_M"])
    from vramtui.core.estimate import Settings, memory

    assert memory(entry.architecture, q, Settings(context=1024)).weights_bytes == w["size"]


def test_gguf_split_file_sums_every_shard(tmp_path) -> None:
    tensors = llama_tensors(layers=4)
    first, second = tensors[:20], tensors[20:]
    split = {"split.count": (U32, 2), "split.tensors.count": (U32, len(tensors))}
    w1 = write_gguf(
        tmp_path / "Big-Q4_K_M-00001-of-00002.gguf", llama_kv(layers=4, **{**split, "split.no": (U32, 0)}), first
    )
    w2 = write_gguf(tmp_path / "Big-Q4_K_M-00002-of-00002.gguf",
                    {**split, "split.no": (U32, 1)}, second)
    for name in ("Big-Q4_K_M-00001-of-00002.gguf", "Big-Q4_K_M-00002-of-00002.gguf"):
        entry = resolve_custom_model(str(tmp_path / name), tmp_path)
        f = entry.gguf_file
        assert f.shards == 2 and len(f.tensors) == len(tensors) and entry.id == "big-q4_k_m"
        assert f.header_bytes == w1["data_offset"] + w2["data_offset"]
        assert weights(entry.architecture, entry.quantization(_q4km())).total == w1["size"] + w2["size"]
    # a folder with one split model opens it
    assert from_path(tmp_path).gguf_file.shards == 2
    (tmp_path / "Big-Q4_K_M-00002-of-00002.gguf").unlink()
    with pytest.raises(ModelSourceError, match="shard Big-Q4_K_M-00002-of-00002.gguf of 2 is missing"):
        from_path(tmp_path / "Big-Q4_K_M-00001-of-00002.gguf")


def _q4km():
    from vramtui.core.quant_mix import Recipe
    from vramtui.core.quantization import Quantization

    return Quantization("Q4_K_M", 4.89, 50, recipe=Recipe("Q4_K_M"))


def test_gguf_hybrid_per_layer_kv_heads(tmp_path) -> None:
    # LFM2: head_count_kv is an array; its zero entries are short-convolution layers.
    kv = llama_kv(arch="lfm2", layers=4, kv_heads=(ARR, (I32, [0, 0, 2, 0])), ftype=7,
                  **{"lfm2.shortconv.l_cache": (U32, 3)})
    path = tmp_path / "lfm2-tiny-Q8_0.gguf"
    write_gguf(path, kv, llama_tensors(layers=1, tied=True))
    entry = from_path(path)
    a = entry.architecture
    assert a.layer_kinds == (CONV, CONV, FULL, CONV) and a.tied_embeddings
    kvb = kv_cache(a, 1000)
    assert kvb.attention_bytes == 1 * (2 * 2 * 64) * 1024 * 2  # 1,000 tokens take 1,024 cells
    assert kvb.state_bytes == 3 * (3 - 1) * 256 * 4  # F32 conv state of the three conv layers
    assert entry.file_quant == "Q8_0"


def test_gguf_mla_and_sliding_window_metadata(tmp_path) -> None:
    mla = llama_kv(arch="deepseek2", layers=3, heads=4, kv_heads=4, **{
        "deepseek2.attention.kv_lora_rank": (U32, 512), "deepseek2.attention.q_lora_rank": (U32, 0),
        "deepseek2.rope.dimension_count": (U32, 64), "deepseek2.attention.key_length": (U32, 576),
        "deepseek2.attention.value_length": (U32, 512), "deepseek2.attention.key_length_mla": (U32, 192),
        "deepseek2.attention.value_length_mla": (U32, 128),
    })
    write_gguf(tmp_path / "mla.gguf", mla, llama_tensors(layers=1))
    a = from_path(tmp_path / "mla.gguf").architecture
    assert a.mla is not None and (a.mla.qk_nope_head_dim, a.mla.v_head_dim) == (128, 128)
    assert kv_cache(a, 2048).total == 3 * (512 + 64) * 2048 * 2
    swa = llama_kv(arch="gemma3", layers=12, kv_heads=2, **{
        "gemma3.attention.sliding_window": (U32, 512), "gemma3.attention.key_length": (U32, 64),
        "gemma3.attention.value_length": (U32, 64)})
    write_gguf(tmp_path / "swa.gguf", swa, llama_tensors(layers=1, tied=True))
    g = from_path(tmp_path / "swa.gguf").architecture
    assert (g.count(FULL), g.count(SLIDING), g.sliding_window) == (2, 10, 512)
    assert kv_cache(g, 4096).total == (2 * 4096 + 10 * (512 + 512)) * (2 * 2 * 64) * 2


def test_gguf_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "cut.gguf"
    write_gguf(path, llama_kv(), llama_tensors())
    data = path.read_bytes()
    path.write_bytes(data[:-1000])
    with pytest.raises(ModelSourceError, match=r"cut\.gguf: is truncated"):
        from_path(path)
    path.write_bytes(data[:300])
    with pytest.raises(ModelSourceError, match=r"cut\.gguf: the header is truncated"):
        from_path(path)
    path.write_bytes(b"GGML" + data[4:])
    with pytest.raises(ModelSourceError, match="not a GGUF file"):
        from_path(path)
    kv = llama_kv()
    del kv["llama.block_count"]
    write_gguf(path, kv, llama_tensors())
    with pytest.raises(ModelSourceError, match=r"cut\.gguf: metadata llama\.block_count is missing"):
        from_path(path)
    write_gguf(path, {"general.architecture": (STR, "clip")}, [("v.patch_embd.weight", "F16", (14, 14))])
    with pytest.raises(ModelSourceError, match="mmproj"):
        from_path(path)


# ---------------------------------------------------------------- user catalog


def test_bad_user_catalog_file_names_file_entry_and_field(tmp_path) -> None:
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "vramtui"
    user.mkdir(parents=True, exist_ok=True)
    bad = user / "my-gpus.toml"
    bad.write_text(
        '[[gpus]]\nid = "my-card"\nname = "My Card"\nvendor = "NVIDIA"\nmemory_gb = -8\n'
        'bandwidth_gbps = 500\nsegment = "consumer"\nyear = 2024\nsource = "me"\n'
    )
    r = subprocess.run([sys.executable, "-m", "vramtui", "gpus"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2, r.stdout + r.stderr
    assert str(bad) in r.stderr and "gpus[0] (my-card)" in r.stderr and "field memory_gb" in r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- the Hub, served locally

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """The Hub's file layout over HTTP: /{repo}/resolve/{rev}/{file} (HEAD and GET) and /api/models/{repo}."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, bytes]] = {}
        self.api: dict[str, dict] = {}
        self.gated: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.auth: set[str] = set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _send(self, code: int, data: bytes = b"", headers: dict | None = None, body: bool = True) -> None:
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def _serve(self, body: bool) -> None:
                path = self.path.split("?")[0]
                hub.requests.append((self.command, path))
                hub.auth.add(self.headers.get("Authorization", ""))
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"]:
                    repo = "/".join(parts[2:4])
                    if repo not in hub.api:
                        return self._send(404, b"{}", {"X-Error-Code": "RepoNotFound"}, body)
                    return self._send(200, json.dumps(hub.api[repo]).encode(),
                                      {"Content-Type": "application/json"}, body)
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo, filename = "/".join(parts[:2]), "/".join(parts[4:])
                    if repo in hub.gated:
                        return self._send(401, b"", {"X-Error-Code": "GatedRepo",
                                                     "X-Error-Message": "Access to model is restricted"}, body)
                    if repo not in hub.files:
                        return self._send(401, b"", {"X-Error-Code": "RepoNotFound",
                                                     "X-Error-Message": "Repository not found"}, body)
                    data = hub.files[repo].get(filename)
                    if data is None:
                        return self._send(404, b"", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT}, body)
                    etag = f'"{abs(hash(data)):040x}"'[:42] + '"'
                    return self._send(200, data, {"ETag": etag, "X-Repo-Commit": COMMIT,
                                                  "Content-Type": "application/octet-stream"}, body)
                return self._send(404, b"", {}, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def hub(monkeypatch):
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")  # no user-agent registry fetch from the real Hub
    from huggingface_hub import constants  # imported before HF_ENDPOINT is set: it must still be honoured

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    h = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", h.endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(Path(os.environ["XDG_CACHE_HOME"]) / "hf-home"))  # no saved login
    yield h
    h.stop()


def test_repo_id_from_a_local_hub_matches_its_config_and_is_cached(tmp_path, hub, catalog) -> None:
    repo = "test-org/Llama-Shaped-8B"
    index = {"metadata": {"total_size": 2 * LLAMA_PARAMS},
             "weight_map": {"lm_head.weight": "model-00004-of-00004.safetensors"}}
    hub.files[repo] = {"config.json": json.dumps(LLAMA_31_8B).encode(),
                       "model.safetensors.index.json": json.dumps(index).encode()}
    hub.api[repo] = {"id": repo, "modelId": repo, "private": False, "gated": False, "disabled": False,
                     "sha": COMMIT, "downloads": 1234, "likes": 56, "tags": ["transformers", "llama"],
                     "createdAt": "2024-07-18T08:56:00.000Z", "lastModified": "2024-09-25T17:00:57.000Z",
                     "cardData": {"license": "llama3.1"},
                     "safetensors": {"parameters": {"BF16": LLAMA_PARAMS}, "total": LLAMA_PARAMS}}
    cache = tmp_path / "cache"
    entry = resolve_custom_model(repo, cache)
    assert entry is not None and entry.hf_repo == repo and entry.params == LLAMA_PARAMS and entry.params_exact
    facts = (entry.downloads, entry.likes, entry.license, str(entry.release_date))
    assert facts == (1234, 56, "llama3.1", "2024-07-18")
    assert entry.source == f"{hub.endpoint}/{repo}/blob/main/config.json"
    # the real client asked the local server (HF_ENDPOINT read at call time, not import time)
    assert ("GET", f"/{repo}/resolve/main/config.json") in hub.requests
    assert all(p.startswith((f"/{repo}/", f"/api/models/{repo}")) for _, p in hub.requests), hub.requests
    assert any(p.startswith(f"/api/models/{repo}") for _, p in hub.requests)

    # the same numbers as its config.json read from disk, and as the catalog's Llama 3.1 8B
    local = from_path(write_model_dir(tmp_path / "local", LLAMA_31_8B, total_size=2 * LLAMA_PARAMS))
    assert entry.architecture == local.architecture and entry.params == local.params
    same_numbers(catalog, "llama-3.1-8b-instruct", entry)

    # second lookup: the server is gone, the cache answers
    hub.stop()
    seen = len(hub.requests)
    again = resolve_custom_model(repo.lower(), cache)
    assert len(hub.requests) == seen
    assert again.params == entry.params and again.architecture == entry.architecture
    assert again.hf_repo == repo  # the Hub's spelling, kept in the cache
    cached = cache / "hub" / "test-org" / "llama-shaped-8b"
    assert sorted(p.name for p in cached.iterdir()) == [
        "config.json", "model.safetensors.index.json", "vramtui-hub.json"]


def test_hub_repo_without_index_or_api(tmp_path, hub, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken")  # read at call time, sent to the endpoint
    repo = "solo/Mistral-Like"
    hub.files[repo] = {"config.json": json.dumps(MISTRAL_V01).encode()}
    entry = resolve_custom_model(repo, tmp_path)
    assert not entry.params_exact and entry.architecture.count(SLIDING) == 32
    assert ("GET", f"/{repo}/resolve/main/model.safetensors.index.json") in hub.requests
    assert hub.auth == {"Bearer hf_testtoken"}


def test_hub_errors_are_one_clear_line(tmp_path, hub, monkeypatch) -> None:
    hub.files["org/no-config"] = {"README.md": b"hi"}
    hub.gated.add("org/gated")
    cases = {
        "org/gated": "is gated or private",
        "org/does-not-exist": "no such model repo",
        "org/no-config": "has no config.json",
    }
    for repo, needle in cases.items():
        with pytest.raises(ModelSourceError) as e:
            resolve_custom_model(repo, tmp_path)
        msg = str(e.value)
        assert msg.startswith(f"{repo}: ") and needle in msg and hub.endpoint in msg and "\n" not in msg
    hub.stop()
    with pytest.raises(ModelSourceError, match=r"org/anything: cannot reach .* \(offline\?\)"):
        resolve_custom_model("org/anything", tmp_path)
    # nothing half-fetched was cached
    assert not (tmp_path / "hub" / "org" / "anything").exists()


# ---------------------------------------------------------------- hostile input

hostile = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["a" * 5000, "a" * 5000 + ".gguf", "x/" * 300, "\x00.gguf", "a/\x00", "~nosuchuser/m.gguf",
                     "/dev/null", "/etc", "org/repo", "./", "..", "C:\\models\\m.gguf", "a/b.gguf/config.json"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile)
def test_hostile_names_give_an_entry_none_or_one_clear_error(tmp_path, monkeypatch, text) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never the network: repo ids fail at once, with a message
    try:
        resolve_custom_model(text, tmp_path)
    except ModelSourceError as e:
        assert "\n" not in str(e).replace(text, "") and str(e).strip()


def test_offline_mode_is_honoured_without_touching_the_network(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing answers
    with pytest.raises(ModelSourceError, match=r"org/model: HF_HUB_OFFLINE is set, and org/model is not in the cache"):
        resolve_custom_model("org/model", tmp_path)


def test_a_gguf_file_model_runs_from_that_file(tmp_path) -> None:
    import json as _json
    import subprocess
    import sys

    path = tmp_path / "my models" / "Tiny-Q4_K_M.gguf"
    path.parent.mkdir()
    write_gguf(path, llama_kv(layers=2), llama_tensors(layers=2))
    r = subprocess.run([sys.executable, "-m", "vramtui", "estimate", str(path), "--gpu", "rtx-4090", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    commands = _json.loads(r.stdout)["commands"]
    import shlex

    assert shlex.split(commands["llama.cpp"]["command"])[:3] == ["llama-server", "-m", str(path)]
    assert str(path) in shlex.split(commands["ollama"]["command"])[1]
