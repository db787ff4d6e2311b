"""TED with predictions kept per dialogue state (bot/policies.py), run in the Rasa environment on
the trained model: a kept prediction equals what TED computes, and only the states count."""
from __future__ import annotations

import json
import subprocess

import pytest

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import ensure_model, rasa_environment

SCRIPT = """
import json, sys
import yaml
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.policies import MemoizedTEDPolicy

agent = Agent.load(sys.argv[1])
ted = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
           if isinstance(node._component, MemoizedTEDPolicy))
computed = []
compute = TEDPolicy.predict_action_probabilities
def recording(self, *args, **kwargs):
    prediction = compute(self, *args, **kwargs)
    computed.append(prediction.probabilities)
    return prediction
TEDPolicy.predict_action_probabilities = recording

def steps_events(steps):
    events = []
    for step in steps:
        if "intent" in step:
            events.append(UserUttered(step["intent"], {"name": step["intent"], "confidence": 1.0}))
        else:
            events.append(ActionExecuted(step["action"]))
    return events

stories = yaml.safe_load(open("nlu_data/stories.yml", encoding="utf-8"))["stories"]
prefix = steps_events([{"intent": "greet"}, {"action": "utter_greet"}, {"intent": "ask_question"},
                       {"action": "action_answer_faq"}, {"intent": "thanks"}, {"action": "utter_you_are_welcome"}])
def points(history):
    out = []
    for story in stories:
        events = history + steps_events(story["steps"])
        for end in range(len(history) + 1, len(events) + 1):
            tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")] + events[:end],
                                                      slots=agent.domain.slots)
            if isinstance(events[end - 1], UserUttered) or events[end - 1].action_name != "action_listen":
                out.append(tracker)
    return out

def ted_out(trackers):
    before = len(computed)
    hits = ted.cache_hits
    for t in trackers:
        agent.processor.predict_next_with_tracker(t)
    return ted.cache_hits - hits, len(computed) - before

plain, longer = points([]), points(prefix)
# 1. cold: every state computed; 2. the same trackers again: all kept, none computed
cold_hits, cold_computed = ted_out(plain)
warm_hits, warm_computed = ted_out(plain)
# 3. a longer history before the same stories, cache on; 4. the same with the cache off
captured = []
memo = MemoizedTEDPolicy.predict_action_probabilities
def capture(self, *args, **kwargs):
    prediction = memo(self, *args, **kwargs)
    captured.append(prediction.probabilities)
    return prediction
for node in agent.processor.graph_runner._instantiated_nodes.values():
    if node._component is ted:
        node._fn = capture
long_hits, _ = ted_out(longer)
with_cache = list(captured)
captured.clear()
ted._cache_size = 0
ted_out(longer)
without_cache = list(captured)
print(json.dumps({"points": len(plain), "cold_hits": cold_hits, "cold_computed": cold_computed,
                  "warm_hits": warm_hits, "warm_computed": warm_computed, "long_hits": long_hits,
                  "long_points": len(longer), "same": with_cache == without_cache,
                  "compared": len(with_cache)}))
"""


@pytest.fixture(scope="module")
def outcome():
    settings = load_settings()
    model = ensure_model()
    result = subprocess.run(
        [str(settings.rasa_bin.parent / "python"), "-c", SCRIPT, str(model)],
        capture_output=True, text=True, cwd=REPO_ROOT, env=rasa_environment(settings), timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_state_seen_before_is_not_computed_again(outcome):
    assert outcome["cold_computed"] >= 1
    assert outcome["warm_computed"] == 0
    assert outcome["warm_hits"] == outcome["points"]


def test_kept_predictions_equal_computed_ones_whatever_came_before(outcome):
    assert outcome["long_hits"] > 0  # the same last turns after a longer history
    assert outcome["compared"] == outcome["long_points"]
    assert outcome["same"]
