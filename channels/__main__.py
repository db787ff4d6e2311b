"""`python -m channels`: runs the gateway (what `madoguchi run` starts)."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels", description="madoguchi gateway: LINE, phone, web chat")
    parser.add_argument("--host", help="interface (default: MADOGUCHI_HOST)")
    parser.add_argument("--port", type=int, help="port (default: MADOGUCHI_APP_PORT)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    from core.logs import setup_logging

    setup_logging(logging.DEBUG if args.verbose else logging.INFO)
    import uvicorn

    from channels.config import load_config
    from channels.gateway import create_app

    config = load_config()
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
