"""The upstream's callback: take the flow, let the connector finish the upstream's
protocol, and hand the identity to the completer of the flow's purpose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import structlog

from bridge.browser import Browser, Redirect
from bridge.errors import OAuthError, UpstreamError
from bridge.model import LocalizedText, UpstreamFlow, UpstreamIdentity
from bridge.signin.upstream_flows import UpstreamFlows, upstream_request

log = structlog.get_logger(__name__)


class Completer(Protocol):
    """What happens after the upstream, for one purpose (`UpstreamFlow.purpose.kind`)."""

    async def completed(
        self, flow: UpstreamFlow, identity: UpstreamIdentity, browser: Browser
    ) -> Redirect: ...

    async def failed(
        self, flow: UpstreamFlow, failure: UpstreamError, upstream: LocalizedText
    ) -> OAuthError:
        """The error to answer with when the upstream produced no identity."""
        ...


class UpstreamCallback:
    def __init__(self, *, flows: UpstreamFlows, completers: Mapping[str, Completer]) -> None:
        self._flows = flows
        self._completers = completers

    async def handle(self, upstream: str, params: Mapping[str, str], browser: Browser) -> Redirect:
        flow, connector = await self._flows.take(upstream, params, browser)
        completer = self._completers[flow.purpose.kind]
        try:
            identity = await connector.complete(params, upstream_request(flow))
        except UpstreamError as failure:
            log.info(
                "signin.upstream_failed",
                upstream=upstream,
                purpose=flow.purpose.kind,
                failure=failure.failure.value,
                upstream_code=failure.upstream_code,
                detail=failure.detail,
            )
            raise await completer.failed(flow, failure, connector.display_name) from failure
        return await completer.completed(flow, identity, browser)
