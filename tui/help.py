"""Help text, kept as markdown data in tui/help.md: one `## id` section per pane."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

HELP_FILE = Path(__file__).with_name("help.md")


@lru_cache(maxsize=1)
def sections() -> dict[str, str]:
    """help.md split at its `## id` headings; the text before the first one is under ''."""
    out: dict[str, list[str]] = {"": []}
    current = ""
    for line in HELP_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
        else:
            out[current].append(line)
    return {k: "\n".join(v).strip() + "\n" for k, v in out.items()}


def help_text(section: str) -> str:
    """The markdown of one section ('' for the introduction); empty if there is none."""
    return sections().get(section, "")
