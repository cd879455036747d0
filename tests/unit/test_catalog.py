"""The catalog: loading, validation errors that name file/entry/field, user overrides,
and consistency of every built-in entry."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from vramtui.catalog.loader import CatalogError, load_catalog
from vramtui.core.hardware import apple_gpu_share
from vramtui.core.tensors import checkpoint_parameter_count
from vramtui.core.units import gib


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return tmp_path


GPU = """
[[gpus]]
id = "my-card"
name = "My Card 48GB"
vendor = "NVIDIA"
memory_gb = 48
bandwidth_gbps = 960
segment = "workstation"
year = 2024
source = "https://example.com/spec"
"""


def test_user_file_adds_and_overrides(tmp_path, catalog) -> None:
    d = write(tmp_path, "mine.toml", GPU + GPU.replace("my-card", "rtx-4090").replace("My Card 48GB", "My 4090"))
    cat = load_catalog([d])
    assert cat.gpus["my-card"].memory_gb == 48
    assert cat.gpus["rtx-4090"].name == "My 4090"
    assert len(cat.gpus) == len(catalog.gpus) + 1


@pytest.mark.parametrize("text,entry,field,message", [
    (GPU.replace("bandwidth_gbps = 960", 'bandwidth_gbps = "fast"'), "gpus[0] (my-card)", "bandwidth_gbps", "number"),
    (GPU.replace("memory_gb = 48", "memory_gb = -1"), "gpus[0] (my-card)", "memory_gb", "greater than 0"),
    (GPU.replace('vendor = "NVIDIA"', 'vendor = "Voodoo"'), "gpus[0] (my-card)", "vendor", ""),
    (GPU + GPU, "gpus[1] (my-card)", "id", "duplicate"),
    (GPU.replace('source = "https://example.com/spec"\n', ""), "gpus[0] (my-card)", "source", "required"),
    (GPU.replace("year = 2024", "year = 2024\ncolour = 'red'"), "gpus[0] (my-card)", "colour", "not permitted"),
])
def test_bad_entries_name_file_entry_and_field(tmp_path, text, entry, field, message) -> None:
    d = write(tmp_path, "bad.toml", text)
    with pytest.raises(CatalogError) as e:
        load_catalog([d])
    msg = str(e.value)
    assert str(d / "bad.toml") in msg and f"entry {entry}" in msg and f"field {field}" in msg
    assert message in msg


def test_model_config_errors_name_the_config_field(tmp_path) -> None:
    d = write(tmp_path, "m.toml", """
[[models]]
id = "tiny"
name = "Tiny"
hf_repo = "me/tiny"
publisher = "Me"
family = "Tiny"
params = 1000
source = "local"
[models.config]
model_type = "llama"
hidden_size = 64
intermediate_size = 128
num_attention_heads = 4
vocab_size = 100
max_position_embeddings = 2048
""")
    with pytest.raises(CatalogError, match=r"entry models\[0\] \(tiny\).*config.num_hidden_layers is missing"):
        load_catalog([d])


@pytest.mark.parametrize("text,needle", [
    ("[[gpus]\nid=1", "not valid TOML"),
    ("[[graphics]]\nid = 'x'", "unknown table"),
    ("gpus = 3", "array of tables"),
])
def test_malformed_files(tmp_path, text, needle) -> None:
    d = write(tmp_path, "x.toml", text)
    with pytest.raises(CatalogError, match=needle):
        load_catalog([d])


def test_cli_reports_bad_user_catalog_without_traceback(tmp_path) -> None:
    import os
    import subprocess
    import sys

    cfg = tmp_path / "config" / "vramtui"
    cfg.mkdir(parents=True)
    (cfg / "gpus.toml").write_text(GPU.replace("memory_gb = 48", "memory_gb = 'lots'"))
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    r = subprocess.run([sys.executable, "-m", "vramtui", "gpus"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2
    assert "gpus.toml: entry gpus[0] (my-card), field memory_gb" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------ consistency of the built-in data


def test_every_models_shapes_add_up_to_its_parameter_count(catalog) -> None:
    """Parameters computed from the config's shapes agree with the published count within 1 %.

    Some checkpoints store a tied output head as its own tensor (Qwen3-0.6B and 1.7B), so
    their safetensors totals count vocab × hidden twice; those may match either way.
    """
    bad = []
    for m in catalog.models.values():
        if m.unsupported:
            continue  # listed with what vramtui lacks to size it (tested in test_unsupported_models)
        a = m.architecture
        computed = checkpoint_parameter_count(a)
        candidates = [computed] + ([computed + a.vocab * a.hidden] if a.tied_embeddings else [])
        if min(abs(c / m.params - 1) for c in candidates) > 0.01:
            bad.append(f"{m.id}: computed {computed:,} vs {m.params:,}")
    assert not bad, "\n".join(bad)


def test_no_duplicate_names_or_repos(catalog) -> None:
    for table, key in (("models", "name"), ("gpus", "name"), ("devices", "name")):
        names = Counter(getattr(e, key) for e in catalog.table(table).values())
        assert [n for n, k in names.items() if k > 1] == [], table
    repos = Counter(m.hf_repo.lower() for m in catalog.models.values())
    assert [r for r, k in repos.items() if k > 1] == []


def test_every_gpu_and_device_has_memory_bandwidth_and_source(catalog) -> None:
    for g in [*catalog.gpus.values(), *catalog.devices.values()]:
        assert g.memory_gb > 0 and g.bandwidth_gbps > 0, g.id
        assert g.source.startswith(("https://", "http://")), f"{g.id}: source {g.source!r} is not a page"


def test_no_values_marked_unverified_in_the_source_field() -> None:
    """`# unverified:` comments mark derived figures; a whole entry without a source does not exist."""
    from vramtui.catalog.loader import DATA_DIR

    for name in ("gpus.toml", "devices.toml"):
        for line in (DATA_DIR / name).read_text().splitlines():
            assert not line.startswith('source = "unverified'), line


def test_a_multi_gpu_system_agrees_with_its_gpu(catalog) -> None:
    """DGX B200 is 8 x the catalog's B200: per-GPU memory, bandwidth and FP16 are the same numbers."""
    systems = [d for d in catalog.devices.values() if d.kind == "multi_gpu"]
    assert len(systems) >= 7 and all(d.gpu for d in systems)
    for d in systems:
        g = catalog.gpus[d.gpu]
        assert d.memory_gb / d.gpu_count == g.memory_gb, d.id
        assert d.bandwidth_gbps == g.bandwidth_gbps and d.fp16_tflops == g.fp16_tflops, d.id


def test_unset_gpu_memory_is_null_not_zero(catalog) -> None:
    """A device without a fixed GPU allocation uses the rule: JSON says null, not 0.0."""
    mac = catalog.devices["macbook-air-13-m3-8gb"].to_dict()
    assert mac["gpu_memory_gb"] is None
    assert catalog.devices["amd-ryzen-ai-max-plus-395-128gb"].to_dict()["gpu_memory_gb"] == 96


def test_every_listed_quant_exists_and_every_model_has_a_source(catalog) -> None:
    for m in catalog.models.values():
        assert all(q in catalog.quants for q in m.quants)
        assert m.source.startswith("https://huggingface.co/")


def test_apple_gpu_share_rule() -> None:
    # macOS 13-15 default (Metal recommendedMaxWorkingSetSize): 2/3 up to 36 GB, 3/4 above.
    assert apple_gpu_share(gib(8)) == gib(8) * 2 // 3
    assert apple_gpu_share(gib(16)) == gib(16) * 2 // 3
    assert apple_gpu_share(gib(64)) == gib(48)
    assert apple_gpu_share(gib(128)) == gib(96)


def test_seed_devices_present(catalog) -> None:
    names = {g.name for g in [*catalog.gpus.values(), *catalog.devices.values()]}
    for n in ("NVIDIA GeForce RTX 5090", "NVIDIA GeForce RTX 3090 Ti", "NVIDIA GeForce RTX 3070 Ti",
              "NVIDIA GeForce RTX 4090", 'MacBook Air 13" M3 (8 GB)', "NVIDIA DGX H100"):
        assert n in names, n


def test_catalog_is_bigger_than_the_seed_pages(catalog) -> None:
    # The seed page counts 35 GPUs and 33 devices for one model; vramtui lists
    # at least 200 models, 110 GPUs and 50 unified-memory devices or systems.
    assert len(catalog.models) >= 200 and len(catalog.gpus) >= 170 and len(catalog.devices) >= 70
    families = {m.publisher for m in catalog.models.values()}
    for publisher in ("Meta", "DeepSeek", "Qwen", "Mistral AI", "Google", "Microsoft", "OpenAI", "IBM"):
        assert publisher in families, publisher


def test_validated_catalog_cache_is_reused_and_invalidated(tmp_path) -> None:
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"
    user = write(tmp_path, "mine.toml", GPU)
    first = load_catalog([user], cache_dir=cache)
    assert len(list(cache.glob("catalog-*.json"))) == 1
    # An unchanged catalog loads from the cache, without importing pydantic at all.
    code = ("import sys; from pathlib import Path; from vramtui.catalog.loader import load_catalog; "
            f"c = load_catalog([Path({str(user)!r})], cache_dir=Path({str(cache)!r})); "
            "assert 'pydantic' not in sys.modules; print(c.gpus['my-card'].memory_gb)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "48.0" == str(first.gpus["my-card"].memory_gb)
    # Editing a file invalidates it.
    (user / "mine.toml").write_text(GPU.replace("memory_gb = 48", "memory_gb = 128"))  # size changes too
    assert load_catalog([user], cache_dir=cache).gpus["my-card"].memory_gb == 128
    assert len(list(cache.glob("catalog-*.json"))) == 1
