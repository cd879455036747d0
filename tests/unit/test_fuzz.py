"""Hostile input never produces a traceback: random arguments, contexts and catalog files.

Bounded examples in `make test`; `make fuzz` runs many more (VRAMTUI_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import contextlib
import io
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vramtui.catalog.loader import CatalogError, load_catalog

import vramtui.__main__ as cli

EXAMPLES = int(os.environ.get("VRAMTUI_FUZZ_EXAMPLES", "15"))
pytestmark = pytest.mark.fuzz

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["-1", "0", "nan", "inf", "1e309", "9" * 40, "8kk", "128KiB", "max", "MAX", "0x10",
                     "１２８", "½", "-", "--", "", " ", "\x00", "💥", "a" * 5000]),
)


def run_main(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
    return code, err.getvalue()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile_text, flag=st.sampled_from(["--context", "--gpus", "--sequences", "--quant", "--gpu",
                                                  "--kv-type"]))
def test_hostile_option_values_exit_2_with_one_line(value, flag) -> None:
    code, err = run_main(["estimate", "llama-3.1-8b-instruct", flag, value, "--json"])
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and "Traceback" not in err


@settings(max_examples=EXAMPLES, deadline=None)
@given(name=hostile_text)
def test_hostile_model_names_exit_2_or_resolve(name) -> None:
    code, err = run_main(["estimate", name or "x", "--json"])
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and "Traceback" not in err


@settings(max_examples=EXAMPLES, deadline=None)
@given(argv=st.lists(st.one_of(hostile_text, st.sampled_from(["estimate", "models", "gpus", "devices", "--json",
                                                                "-q", "-c", "-g", "--all-quants"])),
                     max_size=6))
def test_random_argument_lists_never_crash(argv) -> None:
    if not argv or argv[0] not in ("estimate", "models", "gpus", "devices"):
        argv = ["models", *argv]  # without a subcommand the app would open
    code, err = run_main(argv)
    assert code in (0, 2) and "Traceback" not in err


toml_values = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.text(max_size=20),
                        st.booleans(), st.lists(st.integers(), max_size=3))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["id", "name", "vendor", "memory_gb", "bandwidth_gbps", "segment", "year",
                              "source", "fp16_tflops", "aliases", "extra"]), value=toml_values)
def test_schema_violations_name_the_file(tmp_path_factory, field, value) -> None:
    import json

    d = tmp_path_factory.mktemp("cat")
    entry = {"id": "x", "name": "X", "vendor": "NVIDIA", "memory_gb": 8, "bandwidth_gbps": 100,
             "segment": "consumer", "year": 2020, "source": "s"}
    entry[field] = value
    lines = ["[[gpus]]"] + [f"{k} = {json.dumps(v) if not isinstance(v, float) else repr(v)}" for k, v in entry.items()]
    (d / "g.toml").write_text("\n".join(lines).replace("nan", "nan").replace("inf", "inf"))
    try:
        load_catalog([d])
    except CatalogError as e:
        assert str(d / "g.toml") in str(e)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=string.printable + "[]=\"'{}#é💥", max_size=300))
def test_random_toml_files_give_catalog_errors(tmp_path_factory, text) -> None:
    d: Path = tmp_path_factory.mktemp("cat")
    (d / "x.toml").write_text(text)
    try:
        load_catalog([d], builtin=False)
    except CatalogError as e:
        assert str(d / "x.toml") in str(e) or "catalog" in str(e)
