"""Command palette providers: models, GPUs and devices, and every action of tui/commands.py."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from vramtui.catalog.lookup import model_texts, score
from vramtui.tui.keymap import APP, COMMANDS, key_label
from vramtui.tui.screens.main import MainScreen

from vramtui.faq import TOOL_NAMES


def _main_screen(provider: Provider) -> MainScreen | None:
    """The main screen, under the palette."""
    for screen in reversed(provider.app.screen_stack):
        if isinstance(screen, MainScreen):
            return screen
    return None


class ModelsProvider(Provider):
    """Select a model by typing part of its name, repo, publisher or family."""

    async def search(self, query: str) -> Hits:
        main = _main_screen(self)
        if main is None:
            return
        matcher = self.matcher(query)
        for m in main.res.catalog.models.values():
            s = score(query, model_texts(m))
            if s > 0:
                label = f"Model: {m.name}"
                yield Hit(min(1.0, s / 1000), matcher.highlight(label), partial(setattr, main, "model_id", m.id),
                          text=label, help=f"{m.hf_repo} · {m.publisher}")


class TargetsProvider(Provider):
    """Make a GPU or device the target."""

    async def search(self, query: str) -> Hits:
        main = _main_screen(self)
        if main is None:
            return
        matcher = self.matcher(query)
        cat = main.res.catalog
        for kind, entries in (("GPU", cat.gpus), ("Device", cat.devices)):
            for tid, e in entries.items():
                label = f"{kind}: {e.name}"
                # Our catalog's fuzzy score orders the hits (as `vramtui --gpu` resolves names);
                # Textual's matcher only catches what it misses, ranked below.
                s = score(query, [e.id, e.name, *e.aliases]) / 1000 or matcher.match(label) / 10
                if s > 0:
                    yield Hit(min(1.0, s), matcher.highlight(label), partial(setattr, main, "target", tid),
                              text=label, help=f"{e.memory_gb:g} GB · {e.bandwidth_gbps:,.0f} GB/s")


class ActionsProvider(Provider):
    """Every command, by its title: the same actions the keys run."""

    def _commands(self):
        main = _main_screen(self)
        for c in COMMANDS:
            if not c.palette:
                continue
            owner = self.app if c.owner == APP else main
            if owner is None:
                continue
            yield c, partial(self.app.run_action, c.action, owner)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c, run in self._commands():
            s = matcher.match(c.title)
            if s > 0:
                yield Hit(s, matcher.highlight(c.title), run, text=c.title, help=f"{key_label(c)} · {c.help}")
        main = _main_screen(self)
        if main is not None:
            for tool, name in TOOL_NAMES.items():
                title = f"Copy {name} command"
                s = matcher.match(title)
                if s > 0:
                    yield Hit(s, matcher.highlight(title), partial(main.action_copy_command, tool), text=title,
                              help=f"Copy the command that launches the selection with {name}")

    async def discover(self) -> Hits:
        for c, run in self._commands():
            yield DiscoveryHit(c.title, run, text=c.title, help=f"{key_label(c)} · {c.help}")
