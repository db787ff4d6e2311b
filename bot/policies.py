"""TED with its predictions kept per dialogue state.

TED's prediction is a function of the last max_history dialogue states alone (intents, actions,
slots and entities that influence the conversation) as long as it was not trained on user text.
Residents' conversations repeat the same few shapes, so most turns meet a state TED has already
seen; the TensorFlow call (about a fifth of the Rasa server's CPU per turn) is then skipped and the
same probabilities are returned. A model trained with end-to-end stories is not cached.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Dict, Optional, Text, Tuple

from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class MemoizedTEDPolicy(TEDPolicy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**TEDPolicy.get_default_config(), "prediction_cache_size": 10_000}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache_size = int(self.config.get("prediction_cache_size", 10_000))
        self._predictions: "OrderedDict[str, Tuple[Tuple[float, ...], bool]]" = OrderedDict()
        self._lock = threading.Lock()
        self.cache_hits = 0

    def _state_key(self, tracker: DialogueStateTracker, domain: Domain,
                   rule_only_data: Optional[Dict[Text, Any]]) -> str:
        ml_only = self.supported_data() == SupportedData.ML_DATA
        states = self.featurizer.prediction_states(
            [tracker], domain, use_text_for_last_user_input=False,
            ignore_rule_only_turns=ml_only, rule_only_data=rule_only_data,
            ignore_action_unlikely_intent=ml_only,
        )[0]
        return json.dumps(states, sort_keys=True, ensure_ascii=False, default=list)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        precomputations: Optional[MessageContainerForCoreFeaturization] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.model is None or TEXT in self.fake_features or self._cache_size <= 0:
            return super().predict_action_probabilities(
                tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs)
        key = self._state_key(tracker, domain, rule_only_data)
        with self._lock:
            known = self._predictions.get(key)
            if known is not None:
                self._predictions.move_to_end(key)
                self.cache_hits += 1
        if known is not None:
            probabilities, end_to_end = known
            return self._prediction(list(probabilities), is_end_to_end_prediction=end_to_end)
        prediction = super().predict_action_probabilities(
            tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs)
        with self._lock:  # not the diagnostic data (attention weights): memory
            self._predictions[key] = (tuple(prediction.probabilities), prediction.is_end_to_end_prediction)
            while len(self._predictions) > self._cache_size:
                self._predictions.popitem(last=False)
        return prediction
