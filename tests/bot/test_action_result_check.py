"""bot/channel.py's faster check of the action server's answers, inside the Rasa environment."""
from __future__ import annotations

import json
import subprocess

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import rasa_environment

SCRIPT = """
import json, jsonschema
import bot.channel  # installs the check
import rasa.core.actions.action as a
from rasa.utils.endpoints import EndpointConfig

action = a.RemoteAction("action_answer_faq", EndpointConfig("http://127.0.0.1:9"))
cases = {
    "valid": {"events": [{"event": "slot", "name": "last_faq_id", "value": "gomi-001"}],
              "responses": [{"text": "粗大ごみは予約制です。", "buttons": []}]},
    "empty": {},
    "responses_not_a_list": {"events": [], "responses": "粗大ごみ"},
    "unknown_event": {"events": [{"event": "no_such_event"}], "responses": []},
    "slot_without_name": {"events": [{"event": "slot", "value": 1}], "responses": []},
}
out = {}
for name, result in cases.items():
    ours = original = None
    try:
        ours = action._validate_action_result(result)
    except jsonschema.ValidationError as error:
        ours = "error: " + error.message
    try:
        jsonschema.validate(result, action.action_response_format_spec())
        original = True
    except jsonschema.ValidationError as error:
        original = "error: " + error.message
    out[name] = [ours, original]
print(json.dumps(out, ensure_ascii=False))
"""


def test_same_verdicts_as_jsonschema_validate():
    settings = load_settings()
    result = subprocess.run(
        [str(settings.rasa_bin.parent / "python"), "-c", SCRIPT],
        capture_output=True, text=True, cwd=REPO_ROOT, env=rasa_environment(settings), timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts = json.loads(result.stdout.strip().splitlines()[-1])
    assert verdicts["valid"] == [True, True]
    assert verdicts["empty"] == [True, True]
    for name in ("responses_not_a_list", "unknown_event", "slot_without_name"):
        ours, original = verdicts[name]
        assert isinstance(ours, str) and ours.startswith("error: "), (name, ours)
        assert ours.startswith(original), (name, ours, original)  # same error, with Rasa's hint added
        assert "Failed to validate Action server response" in ours
