from __future__ import annotations

import pytest

from tests.fakes import FakeWorld
from tests.unit.driver import Chat, standard_world


@pytest.fixture
def world() -> FakeWorld:
    return standard_world()


@pytest.fixture
def chat(world: FakeWorld) -> Chat:
    return Chat(world)
