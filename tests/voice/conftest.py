"""The voice tests share one engine cache per session: the real espeak-ng renders each prompt once."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.voice.engine import EspeakEngine


@pytest.fixture(scope="session")
def voice_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voice-cache")


@pytest.fixture
def engine(voice_cache: Path) -> Iterator[EspeakEngine]:
    yield EspeakEngine(voice_cache)
