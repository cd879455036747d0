"""Command palette providers: models, GPUs and devices, and every action of tui/keymap.py.

Every provider ranks with the catalog's own matcher (vramtui.catalog.search), the one behind
`vramtui models`, `--gpu` and the search box: a name finds the same entries everywhere, and
"a10g" never offers an A100. Textual's fuzzy matcher is not used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from vramtui.catalog.search import Doc, Matches, SearchIndex
from vramtui.catalog.tokens import tokens
from vramtui.tui.keymap import APP, COMMANDS, key_label
from vramtui.tui.screens.main import MainScreen

from vramtui.faq import TOOL_NAMES

LIMIT = 30  # hits per provider: the palette shows fewer
# Textual's system commands left out: "Keys" is our Help (?) a second time, and "Screenshot"
# writes an SVG into the working directory (vramtui writes only to its cache folder).
SKIPPED_SYSTEM = {"Keys", "Screenshot"}


def _main_screen(provider: Provider) -> MainScreen | None:
    """The main screen, under the palette."""
    for screen in reversed(provider.app.screen_stack):
        if isinstance(screen, MainScreen):
            return screen
    return None


def highlight(label: str, query: str) -> Text:
    """`label` with the words the query matched (whole or begun) in bold."""
    wanted = set(tokens(query))
    words = [w for w in wanted if w.isalpha() and len(w) >= 2]
    text = Text(label)
    start = 0
    for part in label.split(" "):
        toks = tokens(part)
        if any(t in wanted or any(t.startswith(w) for w in words) for t in toks):
            text.stylize("bold", start, start + len(part))
        start += len(part) + 1
    return text


def _scored(found: Matches[Any]) -> Iterable[tuple[float, Any]]:
    """Each hit with a palette score in (0, 1]: by how it matched (exact name first), then its rank."""
    for rank, (hit, item) in enumerate(zip(found.hits, found.items)):
        yield hit.tier / 4 - rank / 1000, item


class ModelsProvider(Provider):
    """Select a model by typing part of its name, repo, publisher or family."""

    async def search(self, query: str) -> Hits:
        main = _main_screen(self)
        if main is None:
            return
        for score, m in _scored(main.model_index.search(query, LIMIT)):
            label = f"Model: {m.name}"
            yield Hit(score, highlight(label, query), partial(setattr, main, "model_id", m.id),
                      text=label, help=f"{m.hf_repo} · {m.publisher}")


def _target_hits(main: MainScreen, query: str) -> Iterable[Hit]:
    for score, e in _scored(main.target_index.search(query, LIMIT)):
        label = f"{'Device' if e.id in main.res.catalog.devices else 'GPU'}: {e.name}"
        yield Hit(score, highlight(label, query), partial(setattr, main, "target", e.id),
                  text=label, help=f"{e.memory_gb:g} GB · {e.bandwidth_gbps:,.0f} GB/s")


class TargetsProvider(Provider):
    """Make a GPU or device the target."""

    async def search(self, query: str) -> Hits:
        main = _main_screen(self)
        if main is not None:
            for hit in _target_hits(main, query):
                yield hit


class _Commands(Provider):
    """Named commands (title, help, callback), searched by title and help with the catalog's matcher."""

    def commands(self, main: MainScreen | None) -> list[tuple[str, str, Callable[[], Any]]]:
        raise NotImplementedError

    def _index(self) -> SearchIndex[tuple[str, str, Callable[[], Any]]]:
        commands = self.commands(_main_screen(self))
        return SearchIndex(commands, [Doc(names=(title,), title=title, secondary=(help_,))
                                      for title, help_, _ in commands])

    async def search(self, query: str) -> Hits:
        for score, (title, help_, run) in _scored(self._index().search(query, LIMIT)):
            yield Hit(score, highlight(title, query), run, text=title, help=help_)

    async def discover(self) -> Hits:
        for title, help_, run in self.commands(_main_screen(self)):
            yield DiscoveryHit(title, run, text=title, help=help_)


class ActionsProvider(_Commands):
    """Every command once, by its title: the same actions the keys run, and Textual's theme and maximize."""

    def commands(self, main: MainScreen | None) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for c in COMMANDS:
            owner = self.app if c.owner == APP else main
            if c.palette and owner is not None:
                out.append((c.title, f"{key_label(c)} · {c.help}", partial(self.app.run_action, c.action, owner)))
        if main is not None:
            for tool, name in TOOL_NAMES.items():
                out.append((f"Copy {name} command", f"Copy the command that launches the selection with {name}",
                            partial(main.action_copy_command, tool)))
        titles = {t for t, _, _ in out}
        out += [(s.title, s.help, s.callback) for s in self.app.get_system_commands(self.screen)
                if s.title not in titles and s.title not in SKIPPED_SYSTEM]
        return out


class TargetPicker(_Commands):
    """The target picker (t): no target, this machine, or any GPU or device."""

    def commands(self, main: MainScreen | None) -> list[tuple[str, str, Callable[[], Any]]]:
        if main is None:
            return []
        return [("No target", "Check no particular GPU", partial(setattr, main, "target", None)),
                ("This machine", "Detect this machine's GPUs and use them", main.action_detect_target)]

    async def search(self, query: str) -> Hits:
        async for hit in super().search(query):
            yield hit
        main = _main_screen(self)
        if main is not None:
            for hit in _target_hits(main, query):
                yield hit

    async def discover(self) -> Hits:
        async for hit in super().discover():
            yield hit
        main = _main_screen(self)
        if main is None:
            return
        for e in main.target_index.browse():
            kind = "Device" if e.id in main.res.catalog.devices else "GPU"
            yield DiscoveryHit(e.name, partial(setattr, main, "target", e.id), text=e.name,
                               help=f"{kind} · {e.memory_gb:g} GB · {e.vendor}")
