"""The app's web process: the gateway (channels) with the staff console mounted at /staff.

`python -m madoguchi.server` is what `madoguchi run` starts. The console gets the gateway of
this process (staff replies, the handoff desk) from here; channels/ and console/ do not know
each other.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

import uvicorn
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from channels.config import GatewayConfig, load_config
from channels.gateway import create_app as create_gateway_app
from console.app import create_console
from console.live import watch_desk
from core.logs import setup_logging
from core.settings import SettingError


def create_app(config: Optional[GatewayConfig] = None) -> FastAPI:
    """The gateway's app with the staff console at /staff (after the gateway's /staff/api routes,
    which match first)."""
    config = config or load_config()
    app = create_gateway_app(config)
    gateway = app.state.gateway

    @app.get("/staff", include_in_schema=False)
    async def staff_slash():
        return RedirectResponse("/staff/")

    console_app = create_console(gateway, config)
    app.mount("/staff", console_app)
    # residents writing in a handed-off conversation: stored on the ticket, shown live to staff
    watch_desk(gateway, console_app.state.console)
    return app


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m madoguchi.server", description="madoguchi gateway (LINE, phone, web chat) and staff console",
    )
    parser.add_argument("--host", help="interface (default: MADOGUCHI_HOST)")
    parser.add_argument("--port", type=int, help="port (default: MADOGUCHI_APP_PORT)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    setup_logging(logging.DEBUG if args.verbose else logging.INFO)
    try:
        config = load_config()
    except SettingError as error:  # a setting or channels.yml that cannot be used
        print(error, file=sys.stderr)
        return 1
    app = create_app(config)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            app.state.gateway.closing = True  # lets the web chat's event streams end
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(
        app,
        host=args.host or config.host,
        port=args.port or config.port,
        log_config=None,  # our handlers (with the personal-data mask)
        proxy_headers=True,
        timeout_graceful_shutdown=3,
    ))
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
