"""The gateway's lines of `madoguchi run`'s banner: the URLs to configure at LINE and Twilio."""
from __future__ import annotations

from typing import Optional

from channels.config import GatewayConfig, load_config
from core.settings import Settings


def channels_banner(settings: Optional[Settings] = None, config: Optional[GatewayConfig] = None) -> str:
    config = config or load_config(settings)
    public = config.public_url
    lines = [
        f"  Gateway           : http://127.0.0.1:{config.port}/health",
        f"  Public URL        : {public}  (MADOGUCHI_PUBLIC_URL; Twilio signs this address)",
        f"  Web chat widget   : {public}/web/",
        f"    embed on a page : <script src=\"{public}/web/embed.js\" defer></script>",
    ]
    if config.line_enabled:
        lines.append(f"  LINE webhook URL  : {public}/line/webhook  (LINE Developers console > Messaging API)")
    else:
        lines.append(f"  LINE              : off; set {' and '.join(config.line_missing())} to turn it on")
    if config.twilio_enabled:
        lines.append(f"  Twilio voice URL  : {public}/twilio/voice  (phone number > A call comes in, HTTP POST)")
        lines.append(f"    status callback : {public}/twilio/voice/status")
    else:
        lines.append(f"  Phone (Twilio)    : off; set {' and '.join(config.twilio_missing())} to turn it on")
    return "\n".join(lines) + "\n"
