"""Pydantic validation errors as the one-line problems start-up reports: a dotted path
into the YAML file and what is wrong there, in words an operator can act on."""

from __future__ import annotations

from pydantic import ValidationError


def describe_errors(exc: ValidationError, prefix: tuple[str, ...]) -> list[str]:
    out = []
    for error in exc.errors(include_url=False):
        where = ".".join(prefix)
        for part in error["loc"]:
            if isinstance(part, int):
                where += f"[{part}]"
            elif not part.startswith("<"):
                where += f".{part}"
        kind = error["type"]
        if kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "too_short":
            message = f"must have at least {error['ctx']['min_length']} item(s)"
        elif kind == "literal_error":
            message = f"must be {error['ctx']['expected']}"
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        else:
            message = error["msg"]
        out.append(f"{where}: {message}")
    return out
