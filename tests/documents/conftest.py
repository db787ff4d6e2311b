"""Documents fixtures: the real encoder (the model setup builds) and the sample site."""
from __future__ import annotations

import pytest



@pytest.fixture(scope="session")
def encoder(shared_embedding_model):
    from faq.embeddings import Encoder

    return Encoder(shared_embedding_model, prefix="", batch_size=32)


@pytest.fixture(scope="session")
def analyzer():
    from faq.analysis import TextAnalyzer

    return TextAnalyzer()
