from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from bridge.clock import ManualClock
from mock_idps.iamsmart import MockIamSmartConfig
from tests.mock_idps.iamsmart.harness import (
    START,
    AppSlot,
    Kek,
    RunningMock,
    WireClient,
    make_kek,
    mock_config,
    serving_slot,
)


@pytest.fixture(scope="session")
def kek(tmp_path_factory: pytest.TempPathFactory) -> Kek:
    """The service's RSA-2048 KEK; generated once, as generating one takes a while."""
    return make_kek(tmp_path_factory.mktemp("iamsmart-kek"))


@pytest.fixture(scope="session")
def mock_slot() -> Iterator[tuple[str, AppSlot]]:
    with serving_slot() as served:
        yield served


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def start_mock(
    mock_slot: tuple[str, AppSlot], clock: ManualClock
) -> Iterator[Callable[[MockIamSmartConfig], RunningMock]]:
    """Serve a new mock iAM Smart built from a config, on the test's clock."""
    url, slot = mock_slot
    yield lambda config: slot.load(url, config, clock)
    slot.app = None


@pytest.fixture
def mock(start_mock: Callable[[MockIamSmartConfig], RunningMock], kek: Kek) -> RunningMock:
    return start_mock(mock_config(kek))


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for every client: building one loads the CA bundle (~50 ms)."""
    return httpx.create_ssl_context()


@pytest.fixture
async def http(tls: ssl.SSLContext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=tls) as client:
        yield client


@pytest.fixture
def wire(http: httpx.AsyncClient, mock: RunningMock, kek: Kek, clock: ManualClock) -> WireClient:
    return WireClient(http, mock.url, kek, clock)
