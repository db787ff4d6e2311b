"""`madoguchi run`: prepares the data and models, starts every service, stops them all on Ctrl-C."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import httpx

from core.settings import REPO_ROOT, Settings, load_settings
from channels.banner import channels_banner
from channels.config import load_config
from console.cli import console_banner
from madoguchi.training import ensure_model, rasa_environment

log = logging.getLogger(__name__)


@dataclass
class Service:
    name: str
    command: List[str]
    env: Dict[str, str]
    health_url: str
    log_path: Path
    process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )
        log_file.close()

    def is_ready(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> Optional[int]:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


class Stack:
    """The set of processes that make up the service."""

    def __init__(self, settings: Settings, model: Path) -> None:
        self.settings = settings
        logs = settings.home / "logs"
        app_env = dict(os.environ)
        app_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), app_env.get("PYTHONPATH")]))
        action_env = {**app_env, "MADOGUCHI_WARM_UP": "1"}
        self.services = [
            Service(
                name="action server",
                command=[
                    sys.executable, "-m", "rasa_sdk",
                    "--actions", "actions",
                    "--port", str(settings.action_port),
                ],
                env=action_env,
                health_url=f"http://127.0.0.1:{settings.action_port}/health",
                log_path=logs / "actions.log",
            ),
            Service(
                name="Rasa server",
                command=[
                    str(settings.rasa_bin), "run",
                    "--model", str(model),
                    "--endpoints", "endpoints.yml",
                    "--credentials", "credentials.yml",
                    "--interface", settings.host,
                    "--port", str(settings.rasa_port),
                    "--enable-api",
                ],
                env=rasa_environment(settings),
                health_url=f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/",
                log_path=logs / "rasa.log",
            ),
            Service(
                name="gateway (LINE, phone, web chat)",
                command=[
                    sys.executable, "-m", "madoguchi.server",
                    "--host", settings.host,
                    "--port", str(settings.app_port),
                ],
                env=app_env,
                health_url=f"http://127.0.0.1:{settings.app_port}/health",
                log_path=logs / "gateway.log",
            ),
        ]

    def start(self, timeout: float = 240) -> None:
        for service in self.services:
            log.info("Starting the %s (log: %s)", service.name, service.log_path)
            service.start()
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            for service in list(pending):
                code = service.exited()
                if code is not None:
                    self.stop()
                    raise RuntimeError(
                        f"The {service.name} exited with code {code}. Last lines of {service.log_path}:\n"
                        + service.log_tail()
                    )
                if service.is_ready():
                    log.info("The %s is ready", service.name)
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                self.stop()
                names = ", ".join(s.name for s in pending)
                raise RuntimeError(f"Not ready after {timeout:.0f} s: {names}")
            time.sleep(0.5)

    def watch(self) -> int:
        """Blocks until a service dies (returns 1) or we are told to stop (returns 0)."""
        stopping = {"flag": False}

        def _stop(signum, frame):
            stopping["flag"] = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stopping["flag"]:
                for service in self.services:
                    code = service.exited()
                    if code is not None:
                        log.error("The %s stopped (exit code %s):\n%s", service.name, code, service.log_tail())
                        return 1
                time.sleep(0.5)
            return 0
        finally:
            self.stop()

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


def prepare(settings: Settings) -> Path:
    """Everything the services need before they start: database, sample data, FAQ index, Rasa model."""
    # lazy: the bootstraps load the search stack (numpy, FAISS glue); other commands must start fast
    from documents.bootstrap import prepare_documents
    from faq.bootstrap import prepare_faq  # lazy: as above

    settings.home.mkdir(parents=True, exist_ok=True)
    prepare_faq(settings)
    prepare_documents(settings)
    return ensure_model(settings)


def _cmd_run(args) -> int:
    settings = load_settings()
    model = prepare(settings)
    stack = Stack(settings, model)
    try:
        stack.start()
    except RuntimeError as error:
        log.error("%s", error)
        return 1
    rest = f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
    config = load_config(settings)
    print(
        "\nmadoguchi is running. Ctrl-C stops everything.\n"
        f"  Rasa REST channel : {rest}\n"
        f"  Action server     : http://127.0.0.1:{settings.action_port}/health\n"
        f"  Logs              : {settings.home / 'logs'}\n"
        + channels_banner(config=config)
        + console_banner(settings, config.public_url)
        + "  Try it:\n"
        f"    curl -s {rest} -H 'Content-Type: application/json' "
        "-d '{\"sender\": \"demo\", \"message\": \"こんにちは\"}'\n",
        flush=True,
    )
    code = stack.watch()
    print("madoguchi stopped.", flush=True)
    return code


def register(sub) -> None:
    parser = sub.add_parser("run", help="set up and start every service (Ctrl-C stops them)")
    parser.set_defaults(func=_cmd_run)
