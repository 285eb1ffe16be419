"""Sending the resident to an upstream identity provider and taking them back: one
stored record per round trip, keyed by the state the upstream echoes.

The record is taken (single use) only after the browser coming back proved it is the
one that left: another browser opening the callback URL must not spend the owner's
sign-in.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace

from bridge.browser import Browser, Redirect, bind, refused, require_same_browser
from bridge.clock import Clock
from bridge.model import Purpose, UpstreamAuthRequest, UpstreamFlow
from bridge.store.records import FlowStates
from bridge.upstream.base import Connector, SameDevice

LEAVE_PATH = "/signin/upstream/"
"""The same-device page of a flow: `<LEAVE_PATH><state>`."""
STATE_BYTES = 24
"""32 characters of [A-Za-z0-9_-]: iAM Smart takes states of at most 36."""


def upstream_request(flow: UpstreamFlow) -> UpstreamAuthRequest:
    return UpstreamAuthRequest(
        state=flow.state,
        ui_locales=flow.ui_locales,
        user_agent=flow.user_agent,
        fields=flow.upstream_fields,
        prompt=flow.prompt,
        max_age=flow.max_age,
    )


class UpstreamFlows:
    def __init__(
        self,
        *,
        connectors: Mapping[str, Connector],
        flows: FlowStates,
        clock: Clock,
        flow_ttl: int,
    ) -> None:
        self._connectors = connectors
        self._flows = flows
        self._clock = clock
        self._flow_ttl = flow_ttl

    @property
    def connectors(self) -> Mapping[str, Connector]:
        return self._connectors

    def connector(self, name: str) -> Connector:
        connector = self._connectors.get(name)
        if connector is None:
            raise refused("error_unknown_upstream", "Unknown identity provider")
        return connector

    async def begin(
        self,
        upstream: str,
        purpose: Purpose,
        browser: Browser,
        *,
        ui_locales: Sequence[str] = (),
        fields: Sequence[str] = (),
        prompt: Sequence[str] = (),
        max_age: int | None = None,
    ) -> Redirect:
        connector = self.connector(upstream)
        bound = bind(browser)
        flow = UpstreamFlow(
            state=secrets.token_urlsafe(STATE_BYTES),
            upstream=upstream,
            purpose=purpose,
            upstream_fields=tuple(fields),
            ui_locales=tuple(ui_locales),
            prompt=tuple(prompt),
            max_age=max_age,
            browser_binding=bound.binding,
            user_agent=browser.short_user_agent,
            expires_at=self._clock.now() + self._flow_ttl,
        )
        await self._flows.put(flow)
        request = upstream_request(flow)
        if isinstance(connector, SameDevice) and connector.same_device(request):
            return Redirect(f"{LEAVE_PATH}{flow.state}", bound.new_id)
        return Redirect(connector.authorization_url(request), bound.new_id)

    async def waiting(self, state: str, browser: Browser) -> tuple[UpstreamFlow, Connector]:
        """A flow not yet sent upstream (the same-device page), for its own browser."""
        flow = await self._flows.get(state)
        if flow is None:
            raise refused("error_flow_expired", "The sign-in has expired or was completed")
        require_same_browser(browser, flow.browser_binding, "the same-device page")
        return flow, self.connector(flow.upstream)

    async def leave(self, state: str, browser: Browser, *, other_device: bool) -> Redirect:
        """The resident pressed the button: now the request goes upstream, for this
        device or (their choice) another one."""
        flow, connector = await self.waiting(state, browser)
        request = replace(upstream_request(flow), other_device=other_device)
        return Redirect(connector.authorization_url(request))

    async def take(
        self, upstream: str, params: Mapping[str, str], browser: Browser
    ) -> tuple[UpstreamFlow, Connector]:
        """The flow the callback belongs to, taken once, and its connector."""
        connector = self.connector(upstream)
        state = connector.callback_state(params)
        flow = await self._flows.get(state) if state else None
        if flow is None or flow.upstream != upstream or state is None:
            raise refused("error_flow_expired", "The sign-in has expired or was completed")
        require_same_browser(browser, flow.browser_binding, "the upstream callback")
        if await self._flows.take(state) is None:  # the owner's other tab was first
            raise refused("error_flow_expired", "The sign-in has expired or was completed")
        return flow, connector
