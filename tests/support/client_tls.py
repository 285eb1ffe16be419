"""One TLS context for every HTTP client the tests make.

httpx builds a new SSLContext, loading certifi's CA bundle, for each client and for each
one-shot `httpx.get`: ~20 ms of CPU each, and a run made ~2,600 of them (~50 s, a sixth
of the suite's CPU). This one verifies exactly as httpx's default does; it is made once
per test process. (Servers with the tests' own CA are verified with their own context.)
"""

from __future__ import annotations

import ssl

import httpx

TRUSTED: ssl.SSLContext = httpx.create_ssl_context()
