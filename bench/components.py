"""Which component of the bridge a CPU sample belongs to, from the stack py-spy took.

A sample goes to the innermost frame that belongs to a component: time in pydantic
called by the store is pydantic's, time in the store's own code is the store's. Helpers
everyone calls (json, base64, hashlib, cryptography's primitives) belong to nobody, so
their time goes to whoever called them: cryptography under joserfc is JOSE, under the
store's sealing it is sealing. Paths are as py-spy prints them, relative to sys.path.
"""

from __future__ import annotations

from collections import Counter

# (component, path prefixes), the first match wins for a frame
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("form parsing", ("bridge/http/forms.py", "urllib/parse.py", "python_multipart/")),
    ("client auth", ("bridge/provider/client_auth.py", "bridge/provider/clients.py")),
    ("(un)sealing", ("bridge/store/sealing.py",)),
    ("store round trips", ("redis/", "bridge/store/")),
    ("pydantic", ("pydantic/", "pydantic_core/", "bridge/model.py")),
    ("JOSE", ("joserfc/", "bridge/tokens/", "bridge/signing/")),
    ("audit", ("bridge/audit/",)),
    ("logging", ("structlog/", "logging/", "bridge/logs.py")),
    ("metrics", ("prometheus_client/", "bridge/metrics.py")),
    (
        "HTTP/ASGI",
        (
            "uvicorn/",
            "httptools/",
            "h11/",
            "starlette/",
            "fastapi/",
            "anyio/",
            "bridge/asgi.py",
            "bridge/app.py",
            "bridge/http/",
            "bridge/errors.py",
        ),
    ),
    ("grant logic", ("bridge/",)),
)
# Called by every component: their time is their caller's.
NEUTRAL = ("json/", "base64.py", "hashlib.py", "hmac.py", "secrets.py", "cryptography/", "orjson")
# The event loop runs everything, so it gets only what no component claims: scheduling,
# and uvloop's own C code (socket reads and writes), which py-spy shows as the bare
# Runner.run frame. Its stream helpers under redis-py are the store's.
EVENT_LOOP = ("asyncio/", "uvloop/")
COMPONENTS = (*(name for name, _ in RULES), "event loop", "other")


def _file(frame: str) -> str:
    """`function (path/to/file.py:123)` -> `path/to/file.py`."""
    inside = frame.rsplit(" (", 1)[-1].rstrip(")")
    return inside.rsplit(":", 1)[0]


def component(stack: list[str]) -> str:
    """The component of one sample; `stack` is outermost first, as py-spy writes it."""
    loop = False
    for frame in reversed(stack):
        path = _file(frame)
        if path.startswith(EVENT_LOOP):
            loop = True
            continue
        if path.startswith(NEUTRAL):
            continue
        for name, prefixes in RULES:
            if path.startswith(prefixes):
                return name
    return "event loop" if loop else "other"


def _samples(raw: str) -> list[tuple[list[str], int]]:
    """py-spy's `--format raw` (collapsed stacks): one `frame;frame;... count` a line; a
    sample without any Python frame (native code only) has an empty stack."""
    found = []
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            found.append((stack.split(";") if stack.strip() else [], int(count)))
    return found


def aggregate(raw: str) -> Counter[str]:
    """Samples per component."""
    totals: Counter[str] = Counter()
    for stack, count in _samples(raw):
        totals[component(stack)] += count
    return totals


def unclaimed(raw: str, top: int = 8) -> list[tuple[str, int]]:
    """The innermost files of samples that went to "other": what RULES should learn."""
    files: Counter[str] = Counter()
    for stack, count in _samples(raw):
        if component(stack) == "other":
            files[_file(stack[-1]) if stack else "(no Python frame)"] += count
    return files.most_common(top)
