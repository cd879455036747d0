"""Read a GGUF file's header — metadata and tensor index — without reading its weights.

A small pure-Python reader of GGUF v2/v3 (little- or big-endian): the file is
memory-mapped and only the header pages are touched, so a 40 GB file is read in
milliseconds. Large arrays (the tokenizer's tokens, scores and merges) are skipped,
keeping only their length. Split files ("-00001-of-00003.gguf") are read shard by
shard: metadata from the first, tensors from all.

`hf_config` turns the metadata into the Hugging Face config.json fields that
core.hf_config reads, so a GGUF model gets the same Architecture (KV cache,
estimates for other quantizations) as a catalog model.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vramtui.catalog.files import BadFile, open_regular
from vramtui.core.ggml import TYPES
from vramtui.core.gguf_file import GgufFile, GgufTensorInfo

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_KEPT_ARRAY = 4096  # longer arrays are skipped; their length is kept
# Bounds on what a header may ask the reader to walk: real files hold ~50 keys, a few thousand
# tensors, vocabularies of ~260,000 tokens and merges; arrays nest at most once (arrays of strings).
MAX_KEYS = 65_536
MAX_TENSORS = 1 << 20
MAX_ARRAY_DEPTH = 3
MAX_WALKED = 1 << 22  # array elements visited one by one, over the whole header (~1M in real files)
MAX_DIM = 1 << 40  # elements along one tensor dimension
MAX_STRING = 16 << 20  # one string (chat templates run to tens of kB)

# ggml_type ids (ggml/include/ggml.h); gaps are types removed from the format.
GGML_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
    16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
    22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
    29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4", 40: "NVFP4", 41: "Q1_0",
}
# llama_ftype (include/llama.h): general.file_type -> the name llama-quantize uses.
LLAMA_FTYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M",
    30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
    39: "NVFP4", 40: "Q1_0",
}
# GGUF metadata value types -> struct format (8: string, 9: array are handled apart).
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
SHARD = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


class GgufFormatError(ValueError):
    """A file that is not a GGUF file this reader understands; names the file (and the metadata key)."""

    def __init__(self, path: Path | str, problem: str, field: str = "") -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem, self.field = str(path), problem, field


@dataclass(frozen=True)
class ArrayInfo:
    """An array too long to keep (e.g. tokenizer.ggml.tokens): its element type and length."""

    type: int
    length: int


@dataclass
class GgufHeader:
    path: Path
    version: int
    metadata: dict[str, Any]  # arrays longer than MAX_KEPT_ARRAY are ArrayInfo
    tensors: list[tuple[GgufTensorInfo, int]]  # with each tensor's offset in the data section
    data_offset: int  # the header's size: where the tensor data starts
    alignment: int
    file_size: int
    array_lengths: dict[str, int] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))


class _Cursor:
    def __init__(self, buf: Any, path: Path, endian: str) -> None:
        self.buf, self.path, self.e, self.pos = buf, path, endian, 0
        self.walked = 0  # elements visited one at a time, against MAX_WALKED

    def _walk(self, n: int, key: str) -> None:
        self.walked += n
        if self.walked > MAX_WALKED:
            raise GgufFormatError(self.path, f"metadata {key}: arrays of more than {MAX_WALKED:,} elements in all")

    def take(self, fmt: str) -> Any:
        try:
            (v,) = struct.unpack_from(self.e + fmt, self.buf, self.pos)
        except struct.error:
            raise GgufFormatError(self.path, "the header is truncated") from None
        self.pos += struct.calcsize(fmt)
        return v

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.buf):
            raise GgufFormatError(self.path, "the header is truncated")
        self.pos += n

    def string(self) -> str:
        n = self.take("Q")
        if n > MAX_STRING:
            raise GgufFormatError(self.path, f"holds a string of {n:,} bytes: the header is corrupt")
        start = self.pos
        self.skip(n)
        return bytes(self.buf[start:self.pos]).decode("utf-8", errors="replace")

    def value(self, vtype: int, key: str, depth: int = 0) -> tuple[Any, int | None]:
        """A metadata value, and an array's length (None for scalars)."""
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype]), None
        if vtype == _STRING:
            return self.string(), None
        if vtype != _ARRAY:
            raise GgufFormatError(self.path, f"metadata {key} has an unknown value type {vtype}")
        if depth >= MAX_ARRAY_DEPTH:
            raise GgufFormatError(self.path, f"metadata {key} nests arrays more than {MAX_ARRAY_DEPTH} deep")
        etype, n = self.take("I"), self.take("Q")
        if etype not in _SCALARS:
            # Every string or array element takes at least 8 bytes: a count beyond that is a lie.
            if n > (len(self.buf) - self.pos) // 8:
                raise GgufFormatError(self.path, "the header is truncated")
            self._walk(n, key)
        if n > MAX_KEPT_ARRAY:
            if etype in _SCALARS:
                self.skip(n * struct.calcsize(_SCALARS[etype]))
            elif etype == _STRING:  # the hot loop: a vocabulary has 100k+ strings
                unpack, pos, end = struct.Struct(self.e + "Q").unpack_from, self.pos, len(self.buf)
                try:
                    for _ in range(n):
                        pos += 8 + unpack(self.buf, pos)[0]
                except struct.error:
                    raise GgufFormatError(self.path, "the header is truncated") from None
                if pos > end:
                    raise GgufFormatError(self.path, "the header is truncated")
                self.pos = pos
            else:  # arrays of arrays: walk them
                for _ in range(n):
                    self.value(etype, key, depth + 1)
            return ArrayInfo(etype, n), n
        if etype in _SCALARS:
            fmt = _SCALARS[etype]
            size = struct.calcsize(fmt)
            start = self.pos
            self.skip(n * size)
            return list(struct.unpack_from(f"{self.e}{n}{fmt}", self.buf, start)), n
        return [self.value(etype, key, depth + 1)[0] for _ in range(n)], n


def read_header(path: Path | str) -> GgufHeader:
    """The metadata and tensor index of one GGUF file (one shard of a split file)."""
    path = Path(path)
    try:
        with open_regular(path) as f:  # a FIFO named x.gguf would block forever
            size = os.fstat(f.fileno()).st_size
            if size < 24:
                raise GgufFormatError(path, "is too short to be a GGUF file")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _parse(mm, path, size)
    except BadFile as e:
        raise GgufFormatError(path, e.problem) from None
    except OSError as e:
        raise GgufFormatError(path, f"cannot be read ({e.strerror or e.__class__.__name__})") from None


def _parse(buf: Any, path: Path, size: int) -> GgufHeader:
    if bytes(buf[:4]) != MAGIC:
        raise GgufFormatError(path, "is not a GGUF file (no GGUF magic)")
    (version,) = struct.unpack_from("<I", buf, 4)
    endian = "<"
    if version & 0xFFFF == 0 and version > 0xFFFF:  # a big-endian file
        endian = ">"
        (version,) = struct.unpack_from(">I", buf, 4)
    if version == 1:
        raise GgufFormatError(path, "is GGUF v1, which llama.cpp no longer loads: convert it again")
    if version not in (2, 3):
        raise GgufFormatError(path, f"has GGUF version {version}; versions 2 and 3 are supported")
    c = _Cursor(buf, path, endian)
    c.pos = 8
    n_tensors, n_kv = c.take("Q"), c.take("Q")
    if n_tensors > MAX_TENSORS or n_kv > MAX_KEYS:
        raise GgufFormatError(path, f"lists {n_tensors:,} tensors and {n_kv:,} keys: the header is corrupt")
    meta: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    for _ in range(n_kv):
        key = c.string()
        value, n = c.value(c.take("I"), key)
        meta[key] = value
        if n is not None:
            lengths[key] = n
    alignment = meta.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise GgufFormatError(path, f"general.alignment {alignment!r} is not a power of two")
    tensors: list[tuple[GgufTensorInfo, int]] = []
    for _ in range(n_tensors):
        name = c.string()
        n_dims = c.take("I")
        if not 1 <= n_dims <= 4:
            raise GgufFormatError(path, f"tensor {name} has {n_dims} dimensions")
        shape = tuple(c.take("Q") for _ in range(n_dims))
        if not all(1 <= d <= MAX_DIM for d in shape):
            raise GgufFormatError(path, f"tensor {name[:60]} has the shape {shape}: every dimension must be 1 or more")
        type_id = c.take("I")
        offset = c.take("Q")
        type_name = GGML_TYPES.get(type_id)
        if type_name is None or type_name not in TYPES:
            raise GgufFormatError(path, f"tensor {name} has GGML type {type_id}, unknown to vramtui")
        if shape[0] % TYPES[type_name].block_size:
            raise GgufFormatError(path, f"tensor {name}: a row of {shape[0]} is not whole {type_name} blocks")
        tensors.append((GgufTensorInfo(name, type_name, shape), offset))
    data_offset = -(-c.pos // alignment) * alignment
    return GgufHeader(path, version, meta, tensors, data_offset, alignment, size, lengths)


def check_complete(h: GgufHeader) -> None:
    """Raise if the file is shorter than its tensor index says (an interrupted download)."""
    end = max((off + t.nbytes for t, off in h.tensors), default=0)
    need = h.data_offset + end
    if h.file_size < need:
        raise GgufFormatError(
            h.path, f"is truncated: {h.file_size:,} bytes of {need:,} (an interrupted download?)"
        )


def shard_paths(path: Path) -> list[Path]:
    """Every shard of the split file `path` belongs to (just `path` if it is not split)."""
    m = SHARD.match(path.name)
    if not m:
        return [path]
    count = int(m.group("count"))
    width = len(m.group("no"))
    paths = [path.with_name(f"{m.group('stem')}-{i:0{width}d}-of-{m.group('count')}.gguf") for i in range(1, count + 1)]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise GgufFormatError(missing[0], f"shard {missing[0].name} of {count} is missing")
    return paths


@dataclass
class GgufModel:
    """A GGUF model read from its header(s): metadata (of the first shard) and the tensor index of all."""

    path: Path
    metadata: dict[str, Any]
    array_lengths: dict[str, int]
    file: GgufFile

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def get(self, key: str, default: Any = None) -> Any:
        """`{arch}.key` from the metadata."""
        return self.metadata.get(f"{self.architecture}.{key}", default)


def read_model(path: Path | str) -> GgufModel:
    """Read a .gguf file (or every shard of a split one): headers only, never the weights."""
    path = Path(path)
    headers = [read_header(p) for p in shard_paths(path)]
    for h in headers:
        check_complete(h)
    first = headers[0]
    declared = first.metadata.get("split.count")
    if isinstance(declared, int) and declared != len(headers):
        raise GgufFormatError(path, f"split.count is {declared} but {len(headers)} shards were found")
    ftype = first.metadata.get("general.file_type")
    f = GgufFile(
        tensors=tuple(t for h in headers for t, _ in h.tensors),
        header_bytes=sum(h.data_offset for h in headers),
        alignment=first.alignment,
        file_type=LLAMA_FTYPES.get(ftype, "") if isinstance(ftype, int) else "",
        shards=len(headers),
    )
    return GgufModel(headers[0].path, first.metadata, first.array_lengths, f)


# ---------------------------------------------------------------- metadata -> config.json fields

# llama.cpp architecture -> Hugging Face model_type, where core.hf_config keys behaviour on it.
MODEL_TYPES = {
    "llama": "llama", "mistral3": "mistral", "qwen2": "qwen2", "qwen2moe": "qwen2_moe",
    "qwen3": "qwen3", "qwen3moe": "qwen3_moe", "qwen3next": "qwen3_next", "qwen2vl": "qwen2_5_vl",
    "qwen3vl": "qwen3_vl", "qwen3vlmoe": "qwen3_vl_moe", "gemma": "gemma", "gemma2": "gemma2",
    "gemma3": "gemma3_text", "gemma3n": "gemma3n_text", "phi3": "phi3", "phimoe": "phimoe",
    "deepseek2": "deepseek_v3", "gpt-oss": "gpt_oss", "command-r": "cohere", "cohere2": "cohere2",
    "olmo2": "olmo2", "olmoe": "olmoe", "falcon": "falcon", "glm4": "glm4", "glm4moe": "glm4_moe",
    "jamba": "jamba", "granite": "granite", "granitehybrid": "granitemoehybrid", "lfm2": "lfm2",
    "lfm2moe": "lfm2_moe", "nemotron_h": "nemotron_h", "mamba": "mamba", "falcon-h1": "falcon_h1",
    "llama4": "llama4_text", "internlm2": "internlm2", "minimax-m2": "minimax_m2",
    "smollm3": "smollm3", "exaone": "exaone",
}
# Architectures whose layers without KV heads are recurrent, and of which kind.
_RECURRENT = {
    "lfm2": "conv", "lfm2moe": "conv", "jamba": "mamba", "granitehybrid": "mamba",
    "nemotron_h": "mamba", "qwen3next": "linear_attention",
}
# llama.cpp's fixed sliding-window patterns (set_swa_pattern): layer i slides if i % n < n - 1.
_SWA_PATTERN = {"gemma2": 2, "gemma3": 6, "cohere2": 4, "gpt-oss": 2}


def _shown(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


class _Meta:
    """Typed reads of `{arch}.key` metadata: whole numbers (a per-layer array gives its largest)."""

    def __init__(self, m: GgufModel) -> None:
        self.m, self.arch = m, m.architecture
        self.trunk: int | None = None  # layers before the NextN (MTP) blocks, once known

    def fail(self, key: str, problem: str) -> GgufFormatError:
        full = f"{self.arch}.{key}"
        return GgufFormatError(self.m.path, f"metadata {full} {problem}", field=full)

    def layers(self, key: str) -> list[int] | None:
        """A per-layer array of whole numbers, the trunk's layers only (a scalar for every layer gives None)."""
        v = self.m.get(key)
        if not isinstance(v, list):
            return None
        self.num(key)  # checks every element
        return v[: self.trunk]  # per-layer arrays also cover the MTP blocks

    def num(self, key: str, *, need: bool = False, least: int = 0, trunk: bool = False) -> int | None:
        """A whole number (the largest of a per-layer array: of the trunk's layers only with `trunk`)."""
        v = self.m.get(key)
        if trunk and isinstance(v, list) and v:
            v = v[: self.trunk] or v
        if v is None:
            if need:
                raise self.fail(key, "is missing")
            return None
        items = v if isinstance(v, list) else [v]
        if not items or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in items):
            raise self.fail(key, f"must be a whole number (or one per layer), not {_shown(v)}")
        n = max(items)
        if n < least:
            raise self.fail(key, f"must be at least {least}, not {n}")
        return n

    def need(self, key: str, least: int = 1) -> int:
        n = self.num(key, need=True, least=least)
        assert n is not None
        return n


def hf_config(m: GgufModel) -> dict[str, Any]:
    """The config.json fields core.hf_config needs, from a GGUF file's metadata.

    Raises GgufFormatError naming the metadata key when a required one is missing or is not a
    whole number; core.hf_config then checks the values as it checks any config.json.
    """
    arch = m.architecture
    if not arch:
        raise GgufFormatError(m.path, "metadata general.architecture is missing", field="general.architecture")
    meta = _Meta(m)
    # block_count includes the NextN (MTP) blocks a converter kept after the trunk.
    nextn = meta.num("nextn_predict_layers") or 0
    n = meta.need("block_count", least=nextn + 1) - nextn
    meta.trunk = n
    hidden = meta.need("embedding_length")
    mt = MODEL_TYPES.get(arch, arch)
    cfg: dict[str, Any] = {
        "model_type": mt,
        "architectures": [f"gguf:{arch}"],
        "num_hidden_layers": n,
        "hidden_size": hidden,
        "max_position_embeddings": meta.need("context_length"),
    }
    if nextn:
        cfg["num_nextn_predict_layers"] = nextn
    ff = meta.num("feed_forward_length")
    if ff:
        cfg["intermediate_size"] = ff
    heads = meta.num("attention.head_count")
    kv = meta.num("attention.head_count_kv", trunk=True)
    if heads:
        cfg["num_attention_heads"] = heads
        cfg["num_key_value_heads"] = kv or heads
    key_length = meta.num("attention.key_length")
    if key_length:
        cfg["head_dim"] = key_length
    vocab = m.array_lengths.get("tokenizer.ggml.tokens") or meta.num("vocab_size")
    if not vocab:
        names = {t.name: t for t in m.file.tensors}
        if "token_embd.weight" in names:
            vocab = names["token_embd.weight"].shape[-1]
    if not vocab:
        raise GgufFormatError(m.path, "metadata tokenizer.ggml.tokens is missing", field="tokenizer.ggml.tokens")
    cfg["vocab_size"] = vocab
    tensor_names = {t.name for t in m.file.tensors}
    cfg["tie_word_embeddings"] = "output.weight" not in tensor_names
    if any(name.endswith("attn_q.bias") for name in tensor_names):
        cfg["attention_bias"] = True

    # Mixture of experts.
    experts = meta.num("expert_count")
    if experts:
        cfg["num_local_experts"] = experts
        cfg["num_experts_per_tok"] = meta.num("expert_used_count") or 1
        cfg["moe_intermediate_size"] = meta.num("expert_feed_forward_length") or ff
        if meta.num("expert_shared_count"):
            cfg["n_shared_experts"] = meta.num("expert_shared_count")
        elif meta.num("expert_shared_feed_forward_length"):
            cfg["shared_expert_intermediate_size"] = meta.num("expert_shared_feed_forward_length")
        if meta.num("leading_dense_block_count"):
            cfg["first_k_dense_replace"] = meta.num("leading_dense_block_count")
        if meta.num("interleave_moe_layer_step"):
            cfg["interleave_moe_layer_step"] = meta.num("interleave_moe_layer_step")

    # Multi-head latent attention (DeepSeek V2/V3, Kimi K2).
    if meta.num("attention.kv_lora_rank"):
        rope = meta.need("rope.dimension_count")
        qk = meta.num("attention.key_length_mla") or key_length
        if not qk or qk <= rope:
            raise meta.fail("attention.key_length_mla", f"must exceed rope.dimension_count ({rope}), not be {qk}")
        v_dim = meta.num("attention.value_length_mla") or meta.num("attention.value_length")
        if not v_dim:
            raise meta.fail("attention.value_length_mla", "is missing")
        cfg.update(
            kv_lora_rank=meta.num("attention.kv_lora_rank"),
            q_lora_rank=meta.num("attention.q_lora_rank") or 0,
            qk_rope_head_dim=rope,
            qk_nope_head_dim=qk - rope,
            v_head_dim=v_dim,
        )
        cfg.pop("head_dim", None)

    # Which layers attend, slide, or recur.
    window = meta.num("attention.sliding_window")
    kinds = _layer_types(m, meta, arch, n, window)
    if kinds is not None:
        cfg["layer_types"] = kinds
    if window:
        cfg["sliding_window"] = window
    if meta.num("full_attention_interval"):
        cfg["full_attention_interval"] = meta.num("full_attention_interval")
    if meta.num("shortconv.l_cache"):
        cfg["conv_L_cache"] = meta.num("shortconv.l_cache")
    _ssm(meta, arch, hidden, cfg)
    return cfg


def _layer_types(m: GgufModel, meta: _Meta, arch: str, n: int, window: int | None) -> list[str] | None:
    recurrent = _RECURRENT.get(arch)
    kv = meta.layers("attention.head_count_kv")
    per_layer_ff = meta.layers("feed_forward_length")
    if kv is not None and len(kv) == n and recurrent and 0 in kv:
        out = []
        for i, heads in enumerate(kv):
            if heads:
                out.append("full_attention")
            elif arch == "nemotron_h" and per_layer_ff is not None and len(per_layer_ff) == n and per_layer_ff[i]:
                out.append("mlp")
            else:
                out.append(recurrent)
        return out
    if recurrent == "linear_attention" or not window:
        return None
    pattern = m.get("attention.sliding_window_pattern")
    if isinstance(pattern, list):
        pattern = pattern[:n]
    if isinstance(pattern, list) and len(pattern) == n:
        return ["sliding_attention" if p else "full_attention" for p in pattern]
    every = pattern if isinstance(pattern, int) and not isinstance(pattern, bool) and pattern > 0 else None
    every = every or _SWA_PATTERN.get(arch)
    if every:
        return ["sliding_attention" if i % every < every - 1 else "full_attention" for i in range(n)]
    return None


def _ssm(meta: _Meta, arch: str, hidden: int, cfg: dict[str, Any]) -> None:
    inner = meta.num("ssm.inner_size")
    if not inner:
        return
    state, conv = meta.num("ssm.state_size"), meta.num("ssm.conv_kernel")
    groups = meta.num("ssm.group_count")
    if arch == "qwen3next":  # gated delta-net: groups = key heads, time_step_rank = value heads
        rank = meta.need("ssm.time_step_rank")
        cfg.update(
            linear_num_key_heads=groups, linear_num_value_heads=rank, linear_key_head_dim=state,
            linear_value_head_dim=inner // rank, linear_conv_kernel_dim=conv,
        )
        return
    cfg.update(mamba_d_state=state, mamba_d_conv=conv, mamba_expand=max(1, inner // hidden))
    if arch in ("granitehybrid", "nemotron_h", "falcon-h1", "mamba2"):
        rank = meta.need("ssm.time_step_rank")
        cfg.update(mamba_n_heads=rank, mamba_d_head=inner // rank, mamba_n_groups=groups or 1)
    elif meta.num("ssm.time_step_rank"):
        cfg["mamba_dt_rank"] = meta.num("ssm.time_step_rank")
    if arch == "mamba":
        cfg["intermediate_size"] = inner
