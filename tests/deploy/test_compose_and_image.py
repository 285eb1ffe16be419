"""The compose file, the image and the gateway, checked as files (there is no container
engine in CI): each service mounts only what it needs, read-only where it can; the
build context carries no secrets; dependencies are a layer of their own; health checks
ask for readiness; nginx re-resolves the replicas; uvicorn trusts the gateway."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(source, target, mode) of each short-syntax volume."""
    found = []
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        found.append((source, target, mode[0] if mode else "rw"))
    return found


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_mock_iamsmart_sees_only_the_kek_public_half_read_only(
    compose: dict[str, Any],
) -> None:
    mock = compose["services"]["mock-iamsmart"]
    assert all(mode == "ro" for _, _, mode in mounts(mock)), mounts(mock)
    bridge_volumes = {source for source, _, _ in mounts(compose["services"]["bridge"])}
    assert not bridge_volumes & {source for source, _, _ in mounts(mock)}, (
        "the mock shares a volume with the bridge's private keys"
    )
    (target,) = [target for _, target, _ in mounts(mock)]
    assert mock["environment"]["IAMSMART_KEK_PUBLIC_KEY_FILE"].startswith(target + "/")


def test_every_bind_mounted_file_is_read_only(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for source, _, mode in mounts(service):
            if source.startswith("."):
                assert mode == "ro", f"{name} mounts {source} writable"


def test_services_without_a_need_mount_nothing(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("mock-guangdong", "migrate", "redis"):
        assert "volumes" not in services[name], name


def test_bridge_and_gateway_health_checks_ask_for_readiness(compose: dict[str, Any]) -> None:
    for name in ("bridge", "gateway"):
        check = " ".join(compose["services"][name]["healthcheck"]["test"])
        assert "/readyz" in check and "/healthz" not in check, name


def test_uvicorn_trusts_forwarded_headers_from_the_gateway_network_only(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    trusted = ipaddress.ip_network(services["bridge"]["environment"]["FORWARDED_ALLOW_IPS"])
    (edge,) = [
        net
        for net in services["gateway"]["networks"]
        if net in services["bridge"]["networks"] and net != "default"
    ]
    subnet = ipaddress.ip_network(compose["networks"][edge]["ipam"]["config"][0]["subnet"])
    assert trusted == subnet
    assert trusted.is_private


def test_metrics_are_never_published(compose: dict[str, Any]) -> None:
    bridge = compose["services"]["bridge"]
    port = bridge["environment"]["BRIDGE_METRICS_PORT"]
    assert "ports" not in bridge or not any(port in str(p) for p in bridge["ports"])


def test_the_build_context_leaves_out_secrets_environments_and_history() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "keys", ".git", "test-artifacts", "node_modules"} <= ignored


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    steps = instructions((REPO / "Dockerfile").read_text())
    copies = [i for i, (op, _) in enumerate(steps) if op == "COPY"]
    installs = [i for i, (op, arg) in enumerate(steps) if op == "RUN" and "pip install" in arg]
    first_code = next(i for i in copies if steps[i][1].split()[0] in ("bridge", "mock_idps"))
    assert steps[copies[0]][1].split()[0] == "pyproject.toml"
    assert any(copies[0] < i < first_code for i in installs), "no dependency layer"
    dependency_step = next(steps[i][1] for i in installs if i < first_code)
    assert "pyproject.toml" in dependency_step, "dependencies come from pyproject.toml"


def test_the_keys_directory_belongs_to_the_image_user() -> None:
    steps = instructions((REPO / "Dockerfile").read_text())
    (user,) = [arg for op, arg in steps if op == "USER"]
    run = " ".join(arg for op, arg in steps if op == "RUN")
    assert re.search(rf"chown {user}\S* /app/keys", run)
    assert "WORKDIR" in dict(steps) and dict(steps)["WORKDIR"] == "/app"


def test_nginx_resolves_the_replicas_per_request() -> None:
    conf = (REPO / "deploy/nginx.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert re.search(r"resolver\s+127\.0\.0\.11\s+valid=\d+s", code)
    variable = re.search(r"set\s+\$(\w+)\s+http://bridge:8000;", code)
    assert variable is not None
    assert re.search(rf"proxy_pass\s+\${variable[1]};", code)
    assert "upstream" not in code, "an upstream block resolves its names once, at start"
    assert re.search(r"location\s*=\s*/metrics\s*\{\s*return 404;", code)
