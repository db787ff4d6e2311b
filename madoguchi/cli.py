"""The `madoguchi` command. Each area registers its own subcommands."""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from typing import Any, List, Optional

from console import cli as console_cli
from core.logs import setup_logging
from core.settings import REPO_ROOT, SettingError
from documents import cli as docs_cli
from faq import cli as faq_cli
from madoguchi import handoff, launcher, training


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="madoguchi",
        description="Resident inquiry assistant for Japanese municipalities.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    launcher.register(sub)
    training.register(sub)
    _register_faq_bench(faq_cli.register(sub))
    docs_cli.register(sub)
    handoff.register(sub)
    console_cli.register(sub)
    return parser


def _register_faq_bench(faq_commands: Any) -> None:
    """`madoguchi faq bench`: the benchmark lives above the FAQ library, so the app wires it."""
    p = faq_commands.add_parser("bench", help="run the FAQ benchmark (benchmarks/faq_bench.py)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--model", help="embedding model folder")
    p.add_argument("--sizes", help="comma-separated entry counts (default 300,2000,20000)")
    p.add_argument("--out", help="results folder (default benchmarks/results)")
    p.set_defaults(func=_cmd_faq_bench)


def _cmd_faq_bench(args: argparse.Namespace) -> int:
    """Runs benchmarks/faq_bench.py as its own program: benchmarks/ sits in the repository beside
    the app (it imports the app), not in the installed package."""
    if not (REPO_ROOT / "benchmarks" / "faq_bench.py").is_file():
        print("benchmarks/faq_bench.py が見つかりません（リポジトリから実行してください）", file=sys.stderr)
        return 2
    argv = []
    if args.quick:
        argv.append("--quick")
    if args.model:
        argv += ["--model", args.model]
    if args.sizes:
        argv += ["--sizes", args.sizes]
    if args.out:
        argv += ["--out", args.out]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-m", "benchmarks.faq_bench", *argv], env=env).returncode


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except SettingError as error:  # a MADOGUCHI_* variable that cannot be used
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
