"""Lookups: tokens, the matcher and the rules that never answer for an entry the user did not ask for.

The rules are checked on the built-in catalog and on synthetic catalogs holding what the
built-in one lacks today (Gemma 5, Qwen3.8, DeepSeek V5): the same rules must then find those
entries, without a special case for any of them (as they found Gemma 4, Qwen3.6 and DeepSeek V4
before the catalog held them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vramtui.catalog.entries import ModelEntry
from vramtui.catalog.lookup import (
    AMBIGUOUS,
    FOUND,
    MISSING,
    family_owners,
    is_derived,
    lookup,
    model_index,
    resolve,
    target_index,
)
from vramtui.catalog.tokens import tokens, within
from vramtui.core.errors import NotFound

from vramtui.resolve import find_model, find_target, targets


@pytest.fixture(scope="module")
def models(catalog) -> list[ModelEntry]:
    return list(catalog.models.values())


@pytest.fixture(scope="module")
def mi(models):
    return model_index(models)


@pytest.fixture(scope="module")
def ti(catalog):
    return target_index(targets(catalog))


def like(m: ModelEntry, id: str, name: str, *, family: str | None = None, publisher: str | None = None,
         repo: str | None = None, released: str | None = None, tags: tuple[str, ...] | None = None) -> ModelEntry:
    """A synthetic model: `m`'s architecture under another name (what a later catalog will hold)."""
    return replace(m, id=id, name=name, hf_repo=repo or f"{(publisher or m.publisher).lower()}/{id}",
                   family=family or m.family, publisher=publisher or m.publisher,
                   release_date=dt.date.fromisoformat(released) if released else m.release_date,
                   tags=m.tags if tags is None else tags)


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize("text,want", [
    ("Qwen3-0.6B", ("qwen", "3", "0.6b")),
    ("qwen3.6", ("qwen", "3.6")),
    ("DeepSeek-V3.1", ("deepseek", "v3.1")),
    ("NVIDIA A10G", ("nvidia", "a10g")),
    ('MacBook Air 13" M3 (8 GB)', ("macbook", "air", "13", "m3", "8gb")),
    ("llama3.1:8b", ("llama", "3.1", "8b")),
    ("Mistral-7B-Instruct-v0.3", ("mistral", "7b", "instruct", "v0.3")),
    ("ｑｗｅｎ３　８Ｂ", ("qwen", "3", "8b")),  # fullwidth, as CJK input methods type it
    ("Qwén\u0301 3", ("qwen", "3")),  # accents and combining marks dropped
    ("\u200fllama\u200e 8b", ("llama", "8b")),  # direction marks separate, never join
    ("㎇ ™ ① ½", ()),  # compatibility symbols stay symbols: never letters or digits
    ("!!! - ?? %%%", ()),
])
def test_tokens(text, want) -> None:
    assert tokens(text) == want


def test_a_name_typed_without_separators_is_still_exact(mi) -> None:
    for query in ("gptoss20b", "GPT OSS 20B", "gpt-oss-20b", "deepseekr1distillllama8b"):
        assert lookup(mi, query).status == FOUND, query
    assert lookup(mi, "qwen30.6b").status == MISSING  # glued, "qwen3 0.6b" is not a name: no guess


def _osa(a: str, b: str) -> int:
    """Reference: optimal string alignment distance, the full table."""
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@settings(max_examples=300, deadline=None)
@given(a=st.text("abcl", max_size=9), b=st.text("abcl", max_size=9), k=st.integers(0, 3))
def test_bounded_edit_distance_agrees_with_the_full_table(a, b, k) -> None:
    assert within(a, b, k) == (_osa(a, b) <= k)


# ---------------------------------------------------------------- the rules on the built-in catalog


@pytest.mark.parametrize("query", ["gemma 5", "qwen3.8", "deepseek-v5"])
def test_a_version_the_catalog_lacks_is_a_miss_never_a_neighbour(mi, models, query) -> None:
    got = lookup(mi, query)
    assert got.status == MISSING and got.item is None and not got.candidates
    assert mi.rank(query) == []  # the list is empty too: no Gemma 4 for "gemma 5"
    with pytest.raises(NotFound, match="not in the built-in catalog"):
        resolve(mi, query, "model", "next")
    # the nearest entries are suggested, from the family the query names
    family = tokens(query)[0]
    assert got.nearest and all(family in tokens(m.name) for m in got.nearest)


@pytest.mark.parametrize("query", ["!!!", "-", "??", "%%%", "\u200f\u200e\u202e", "a", "x", "", "   ", "a" * 5000,
                                   "ab " * 2000, "\x00\x1b[2J"])
def test_garbage_matches_nothing(mi, ti, query) -> None:
    for index in (mi, ti):
        got = lookup(index, query)
        assert got.status == MISSING and got.item is None and not got.candidates


def test_a_bare_size_is_ambiguous_never_an_arbitrary_pick(mi) -> None:
    got = lookup(mi, "8b")
    assert got.status == AMBIGUOUS and got.total > 5
    assert all("8b" in tokens(m.name) or "8b" in tokens(m.id) for m in got.candidates)


@pytest.mark.parametrize("query", ["llama", "llama 8b"])
def test_llama_lists_metas_models_before_fine_tunes(mi, models, query) -> None:
    got = lookup(mi, query)
    assert got.status == AMBIGUOUS
    first = got.candidates[0]
    assert first.publisher == "Meta" and "Base" not in first.tags
    publishers = [m.publisher for m in mi.search(query).items]
    last_meta = max(i for i, p in enumerate(publishers) if p == "Meta")
    assert all(p == "Meta" for p in publishers[:last_meta + 1])  # every Meta model before any other
    assert "llama-3.1-tulu-3-8b" not in [m.id for m in got.candidates[:3]]


def test_mistral_is_the_models_called_mistral(mi) -> None:
    got = lookup(mi, "mistral")
    assert got.status == AMBIGUOUS
    assert got.candidates and all("mistral" in tokens(m.name) for m in got.candidates)
    assert all(m.publisher == "Mistral AI" for m in got.candidates)
    newest = max(m.release_date for m in got.candidates if m.release_date)
    assert got.candidates[0].release_date == newest


@pytest.mark.parametrize("query,want", [
    ("70b r1", "deepseek-r1-distill-llama-70b"),
    ("qwen coder 32 instruct", "qwen2.5-coder-32b-instruct"),
    ("mistral large instruct 2411", "mistral-large-instruct-2411"),
    ("R1 Distill Llama 8B", "deepseek-r1-distill-llama-8b"),
    ("deepseek-ai/deepseek-r1-distill-llama-8b", "deepseek-r1-distill-llama-8b"),
    ("gpt-oss-20b", "gpt-oss-20b"),
    ("phi 4", "phi-4"),
    ("Qwen3 30B A3B", "qwen3-30b-a3b"),  # the plain one: every other match adds a word not typed
])
def test_one_clear_match_resolves(mi, query, want) -> None:
    got = lookup(mi, query)
    assert got.status == FOUND and got.item.id == want
    assert mi.rank(query)[0].id == want


def test_a_typo_lists_the_model_but_never_resolves_to_it(mi) -> None:
    assert mi.rank("lama 3 8b")[0].id == "llama-3-8b-instruct"
    got = lookup(mi, "llama-3.1-8b-instrukt")
    assert got.status == MISSING and [m.id for m in got.nearest] == ["llama-3.1-8b-instruct"]


def test_search_quality(mi, models) -> None:
    assert mi.rank("70b r1")[0].id == "deepseek-r1-distill-llama-70b"  # any word order
    assert mi.rank("r1 70b")[0].id == "deepseek-r1-distill-llama-70b"
    assert mi.rank("qwen coder 32")[0].id == "qwen2.5-coder-32b-instruct"
    assert mi.rank("mist")[0].publisher == "Mistral AI"  # a word's beginning, as typed
    top = mi.rank("llama 70b")[0]  # among equal matches: instruct, then the newest
    assert "Base" not in top.tags and top.release_date == max(
        m.release_date for m in models if m.release_date and "Base" not in m.tags and m.publisher == "Meta"
        and "70b" in tokens(m.name))


def test_the_empty_search_lists_newest_originals_first(mi, models) -> None:
    owners = family_owners(models)
    listed = mi.browse()
    assert sorted(m.id for m in listed) == sorted(m.id for m in models)
    originals = [m for m in models if not is_derived(m, owners) and "Base" not in m.tags]
    assert listed[0].release_date == max(m.release_date for m in originals if m.release_date)
    assert listed[0].id != "llama-2-7b-chat"  # not the catalog's file order
    keys = [(is_derived(m, owners), "Base" in m.tags, -(m.release_date.toordinal() if m.release_date else 0))
            for m in listed]
    assert keys == sorted(keys)


def test_fine_tunes_and_distills_derive_from_the_family_they_name(models) -> None:
    owners = family_owners(models)
    assert owners["llama"] == "meta" and owners["qwen"] == "qwen" and owners["mistral"] == "mistral ai"
    by_id = {m.id: m for m in models}
    for derived in ("llama-3.1-tulu-3-8b", "hermes-3-llama-3.1-8b", "deepseek-r1-distill-llama-8b",
                    "deepseek-r1-distill-qwen-7b", "openhermes-2.5-mistral-7b"):
        assert is_derived(by_id[derived], owners), derived
    for original in ("llama-3.1-8b-instruct", "codellama-7b-instruct", "qwen3-8b", "mistral-7b-instruct-v0.3",
                     "deepseek-r1", "gemma-3-4b-it"):
        assert not is_derived(by_id[original], owners), original


def test_gpus_and_devices(ti, catalog) -> None:
    for query, want in (("4090", "rtx-4090"), ("RTX 4090", "rtx-4090"), ("geforce 4090", "rtx-4090"),
                        ("a100", "a100-sxm4-80gb"), ("h100 80", "h100-sxm"), ("dgx h100", "nvidia-dgx-h100"),
                        ('MacBook Air 13" M3 (8 GB)', "macbook-air-13-m3-8gb"), ("m3 8gb", "macbook-air-13-m3-8gb"),
                        ("rx7900 xtx", "rx-7900-xtx")):
        assert lookup(ti, query).item.id == want, query
    assert lookup(ti, "a100 40").status == AMBIGUOUS  # PCIe or SXM: the user says which
    assert [d.id for d in ti.rank("m4 pro")[:3]] == [d.id for d in catalog.devices.values()
                                                     if d.chip == "M4 Pro"][:3]


# ---------------------------------------------------------------- later catalogs: the same rules find new entries


def test_gemma_5_is_found_once_the_catalog_holds_it(models) -> None:
    g4 = next(m for m in models if m.id == "gemma-4-31b-it")
    g5 = [like(g4, "gemma-5-31b-it", "Gemma 5 31B IT", family="Gemma 5", released="2026-12-01"),
          like(g4, "gemma-5-e4b-it", "Gemma 5 E4B IT", family="Gemma 5", released="2026-12-01")]
    index = model_index([*models, *g5])
    got = lookup(index, "gemma 5")
    assert got.status == AMBIGUOUS and {m.id for m in got.candidates} == {m.id for m in g5}
    assert {m.id for m in index.rank("gemma 5")} == {m.id for m in g5}  # never Gemma 4 or 3
    assert lookup(index, "gemma 5 31b").item.id == "gemma-5-31b-it"
    assert lookup(index, "gemma 4 31b it").item.id == "gemma-4-31b-it"
    assert lookup(index, "gemma 3 4b it").item.id == "gemma-3-4b-it"
    assert index.browse()[0].id in {m.id for m in g5}  # the newest release leads the empty search


def test_qwen_3_8_and_deepseek_v5_are_found_once_the_catalog_holds_them(models) -> None:
    q36 = next(m for m in models if m.id == "qwen3.6-27b")
    v32 = next(m for m in models if m.id == "deepseek-v3.2")
    new = [like(q36, "qwen3.8-27b", "Qwen3.8 27B", family="Qwen3.8", released="2026-12-01"),
           like(q36, "qwen3.8-35b-a3b", "Qwen3.8 35B-A3B", family="Qwen3.8", released="2026-12-01"),
           like(v32, "deepseek-v5", "DeepSeek V5", family="DeepSeek V5", released="2026-12-01")]
    index = model_index([*models, *new])
    assert lookup(index, "qwen3.8").status == AMBIGUOUS
    assert {m.id for m in index.rank("qwen3.8")} == {"qwen3.8-27b", "qwen3.8-35b-a3b"}
    assert lookup(index, "qwen 3.8 27b").item.id == "qwen3.8-27b"
    assert lookup(index, "qwen 3.6 27b").item.id == "qwen3.6-27b"  # the older one is still itself
    assert lookup(index, "qwen3 0.6b").item.id == "qwen3-0.6b"
    assert lookup(index, "deepseek-v5").item.id == "deepseek-v5"
    assert lookup(index, "deepseek v3").item.id == "deepseek-v3"


def test_a_quantized_re_upload_comes_after_the_original(models) -> None:
    orig = next(m for m in models if m.id == "llama-3.1-8b-instruct")
    reup = like(orig, "llama-3.1-8b-instruct-gguf", "Llama 3.1 8B Instruct GGUF", publisher="bartowski",
                repo="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", released="2024-07-24")
    index = model_index([reup, *models])
    assert is_derived(reup, family_owners([reup, *models]))
    ranked = [m.id for m in index.rank("llama 3.1 8b instruct")]
    assert ranked.index("llama-3.1-8b-instruct") < ranked.index("llama-3.1-8b-instruct-gguf")


def test_a10g_is_never_an_a100_with_or_without_it_in_the_catalog(catalog) -> None:
    without = [t for t in targets(catalog) if "a10g" not in tokens(t.name)]
    index = target_index(without)
    got = lookup(index, "a10g")
    assert got.status == MISSING and index.search("a10g").items == []
    assert got.nearest and "a10" in [t.id for t in got.nearest]  # suggested, never chosen
    a10 = catalog.gpus["a10"]
    a10g = replace(a10, id="a10g-test", name="NVIDIA A10G", aliases=("a10g",))
    index = target_index([*without, a10g])
    assert lookup(index, "a10g").item.id == "a10g-test"
    assert lookup(index, "a10").item.id == "a10"
    assert lookup(index, "a100").item.id == "a100-sxm4-80gb"


# ---------------------------------------------------------------- property: symbols never name anything

not_a_name = st.text(st.characters(categories=["S", "P", "Z", "Cc", "Cf", "M"]), max_size=30)


@settings(max_examples=200, deadline=None)
@given(query=not_a_name)
def test_symbols_controls_and_combining_marks_never_resolve(mi, ti, query) -> None:
    for index, kind in ((mi, "model"), (ti, "GPU or device")):
        assert lookup(index, query).status == MISSING
        assert index.search(query).items == []
        with pytest.raises(NotFound) as e:
            resolve(index, query, kind, "next")
        assert not e.value.ambiguous and "\n" not in str(e.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=not_a_name)
def test_find_model_and_find_target_never_answer_for_symbols(catalog, tmp_path_factory, monkeypatch, query) -> None:
    from vramtui.core.errors import VramtuiError

    monkeypatch.chdir(tmp_path_factory.mktemp("empty"))  # "." and "/" are folders without a config.json
    for find in (find_model, find_target):
        with pytest.raises(VramtuiError):
            find(catalog, query)
