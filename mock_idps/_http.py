"""The mocks' outbound HTTP client (back-channel calls to the bridge).

Its TLS context is made once per process and shared: httpx would otherwise load
certifi's CA bundle again for every app (~20 ms of CPU each), and the tests build a mock
app a few hundred times per run. The context verifies exactly as httpx's default does.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def outbound_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10.0, follow_redirects=False, verify=_verifying_context())
