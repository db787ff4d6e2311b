"""The `madoguchi` command. Each area registers its own subcommands."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional


def build_parser() -> argparse.ArgumentParser:
    from console import cli as console_cli
    from documents import cli as docs_cli
    from faq import cli as faq_cli
    from madoguchi import handoff, launcher, training

    parser = argparse.ArgumentParser(
        prog="madoguchi",
        description="Resident inquiry assistant for Japanese municipalities.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    launcher.register(sub)
    training.register(sub)
    faq_cli.register(sub)
    docs_cli.register(sub)
    handoff.register(sub)
    console_cli.register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from core.logs import setup_logging

    setup_logging(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
