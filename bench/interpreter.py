"""Which kind of CPython build runs this: an optimised one (profile-guided and
link-time optimised; 10-25 % faster on pure-Python code in a micro-benchmark here) or
a plain source build such as pyenv's default. `scripts/setup` runs this file with each
candidate interpreter to choose the one for .venv; the harness records it with every run.

Standard library only: it runs before any virtual environment exists.

    python bench/interpreter.py          prints {"optimised": ..., "build": ..., ...} as JSON
    python bench/interpreter.py --line   prints optimised|plain, version, executable, build
                                         separated by tabs (for scripts/setup)
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig


def _distribution_package(executable: str) -> str | None:
    """The Debian/Ubuntu package that installed `executable`, if one did: their CPython
    packages are built with PGO and LTO by their own rules, which sysconfig's
    CONFIG_ARGS does not show."""
    dpkg = shutil.which("dpkg")
    if dpkg is None or not executable.startswith("/usr/bin/"):
        return None
    found = subprocess.run(  # noqa: S603 - dpkg with a path, read-only
        [dpkg, "-S", executable], capture_output=True, text=True, check=False
    )
    if found.returncode != 0 or ":" not in found.stdout:
        return None
    return found.stdout.split(":", 1)[0].strip()


def describe() -> dict[str, object]:
    executable = os.path.realpath(sys.executable)
    if hasattr(sys, "base_prefix") and sys.prefix != sys.base_prefix:
        executable = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    flags = str(sysconfig.get_config_var("CONFIG_ARGS") or "")
    package = _distribution_package(executable)
    if "--enable-optimizations" in flags:
        lto = " + LTO" if "--with-lto" in flags else ""
        build, optimised = f"built with --enable-optimizations, PGO{lto}", True
    elif package is not None:
        build, optimised = f"Debian/Ubuntu package {package}, PGO + LTO", True
    else:
        build, optimised = "plain source build, no PGO or LTO", False
    return {
        "python": platform.python_version(),
        "executable": executable,
        "optimised": optimised,
        "build": build,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


if __name__ == "__main__":
    found = describe()
    if sys.argv[1:] == ["--line"]:
        kind = "optimised" if found["optimised"] else "plain"
        fields = (kind, found["python"], found["executable"], found["build"])
        print("\t".join(str(value) for value in fields))
    else:
        print(json.dumps(found))
