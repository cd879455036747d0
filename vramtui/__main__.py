"""`vramtui` and `python -m vramtui`: a subcommand prints an answer; no subcommand opens the app.

This launcher sits above both front-ends: the command line (vramtui.cli) and the app
(vramtui.tui) never import each other.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ["--version"]:  # answered before any heavy import
        from vramtui import __version__

        print(f"vramtui {__version__}")
        return 0
    from vramtui.cli import build_parser, guarded, run

    args = build_parser().parse_args(argv)
    if args.version:
        from vramtui import __version__

        print(f"vramtui {__version__}")
        return 0
    if args.command is not None:
        return run(args)
    return guarded(open_app, args)


def open_app(args: argparse.Namespace) -> int:
    """Resolve the app's options (model, target, context, quant, KV type, GPUs) and run the app until it quits."""
    from vramtui.parse import parse_context
    from vramtui.resolve import find_model, find_quant, find_target, user_catalog

    cat = user_catalog(args.catalog)
    model = find_model(cat, args.model) if args.model is not None else None
    target = find_target(cat, args.gpu).id if args.gpu is not None else None
    context = parse_context(args.context) if args.context is not None else None  # parse.MAX: the model's maximum
    quant = find_quant(cat, args.app_quant) if args.app_quant else (model.file_quant if model else None)
    from vramtui.tui.app import run_app  # deferred: Textual costs ~150 ms to import

    return run_app(cat, model_id=model.id if model else None, target_id=target, context=context, quant=quant,
                   kv_type=args.app_kv_type, gpus=args.app_gpus)


if __name__ == "__main__":
    sys.exit(main())
