"""Client metadata of a registration request (RFC 7591 §2) turned into a `Client`: the
same model, and so the same validation, as a client in the configuration file.

Texts the consent page shows — `client_name`, and the bridge's own `purpose`,
`jurisdiction` and `processing` — come with RFC 7591 §2.2 language tags
(`client_name#zh-Hant`); the page speaks English, Traditional and Simplified Chinese,
so all three are required (the untagged member counts as English).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bridge.errors import (
    InvalidClientMetadataError,
    InvalidRegisteredRedirectUriError,
    quoted,
)
from bridge.model import LocalizedText
from bridge.provider.clients import Client
from bridge.wire import (
    AUTH_CLIENT_SECRET_BASIC,
    AUTH_CLIENT_SECRET_POST,
    AUTH_PRIVATE_KEY_JWT,
    GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN,
    RESPONSE_TYPE_CODE,
    SCOPE_OFFLINE_ACCESS,
    SCOPE_OPENID,
)

TEXTS = {"client_name": "name", "purpose": "purpose", "jurisdiction": "jurisdiction"}
OPTIONAL_TEXTS = {"processing": "processing"}
LANGUAGES = {"en": "en", "zh-hant": "zh-Hant", "zh-hans": "zh-Hans"}
AUTH_METHODS = (AUTH_CLIENT_SECRET_BASIC, AUTH_CLIENT_SECRET_POST, AUTH_PRIVATE_KEY_JWT)
GRANT_TYPES = (GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN)
SIMPLE = (
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "scope",
    "contacts",
    "jwks",
    "jwks_uri",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "client_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "software_id",
    "software_version",
    "post_logout_redirect_uris",  # RP-Initiated Logout 1.0 §3.1
    "backchannel_logout_uri",  # Back-Channel Logout 1.0 §2.2
    "backchannel_logout_session_required",
)
"""Members kept as given; any other member is ignored (RFC 7591 §2)."""
MAX_TEXT = 500


@dataclass(frozen=True)
class RegistrationPolicy:
    """What a registered client gets that it does not choose."""

    upstreams: tuple[str, ...]
    downstream: str
    supported_scopes: Collection[str]
    claims_for: Callable[[Collection[str]], tuple[str, ...]]
    """The claims a client registered with these scopes may receive."""
    problems: Callable[[Client], list[str]]
    """The configuration's rules for any client (`bridge.configuration.client_problems`)."""


def _text(metadata: Mapping[str, Any], member: str, required: bool) -> LocalizedText | None:
    texts: dict[str, str] = {}
    for name, value in metadata.items():
        base, _, tag = name.partition("#")
        language = LANGUAGES.get(tag.lower() or "en")
        if base != member or language is None:
            continue
        if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
            raise InvalidClientMetadataError(f"{quoted(name)} must be a text")
        texts[language] = value
    if not texts and not required:
        return None
    if set(texts) != set(LANGUAGES.values()):
        raise InvalidClientMetadataError(
            f"{member} is needed in English ({member} or {member}#en), {member}#zh-Hant and "
            f"{member}#zh-Hans: the consent page shows it in each"
        )
    return LocalizedText.model_validate(texts)


def _strings(metadata: Mapping[str, Any], member: str, default: list[str]) -> list[str]:
    value = metadata.get(member, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidClientMetadataError(f"{member} must be an array of strings")
    return value


def normalized(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The registration as kept and returned: the members the bridge knows, defaults
    filled in (RFC 7591 §2)."""
    kept = {k: v for k, v in metadata.items() if k in SIMPLE or k.partition("#")[0] in TEXTS}
    kept.update({k: v for k, v in metadata.items() if k.partition("#")[0] in OPTIONAL_TEXTS})
    kept.setdefault("token_endpoint_auth_method", AUTH_CLIENT_SECRET_BASIC)
    kept.setdefault("grant_types", [GRANT_AUTHORIZATION_CODE])
    kept.setdefault("response_types", [RESPONSE_TYPE_CODE])
    kept.setdefault("scope", SCOPE_OPENID)
    kept.setdefault("id_token_signed_response_alg", "RS256")  # OIDC Registration §2
    return kept


def _checked_protocol(registration: Mapping[str, Any], supported_scopes: Collection[str]) -> None:
    method = registration["token_endpoint_auth_method"]
    if method not in AUTH_METHODS:
        raise InvalidClientMetadataError(
            f"token_endpoint_auth_method {quoted(str(method))} is not supported"
        )
    grants = _strings(registration, "grant_types", [])
    if not grants or not set(grants) <= set(GRANT_TYPES):
        raise InvalidClientMetadataError("grant_types may be authorization_code, refresh_token")
    if _strings(registration, "response_types", []) != [RESPONSE_TYPE_CODE]:
        raise InvalidClientMetadataError("response_types must be [code]")
    scopes = str(registration["scope"]).split()
    if SCOPE_OPENID not in scopes:
        raise InvalidClientMetadataError("scope must include openid")
    unknown = [s for s in scopes if s not in supported_scopes]
    if unknown:
        raise InvalidClientMetadataError(f"scope {quoted(unknown[0])} is not supported")
    if (SCOPE_OFFLINE_ACCESS in scopes) != (GRANT_REFRESH_TOKEN in grants):
        raise InvalidClientMetadataError(
            "offline_access in scope and refresh_token in grant_types go together"
        )


def client_from_registration(
    registration: Mapping[str, Any],
    *,
    client_id: str,
    secret_sha256: str | None,
    policy: RegistrationPolicy,
) -> Client:
    """The `Client` a (normalized) registration describes, or the RFC 7591 §3.2.2 error."""
    _checked_protocol(registration, policy.supported_scopes)
    redirect_uris = _strings(registration, "redirect_uris", [])
    if not redirect_uris:
        raise InvalidRegisteredRedirectUriError("redirect_uris is required")
    contacts = _strings(registration, "contacts", [])
    fields: dict[str, Any] = {
        "client_id": client_id,
        "client_secret_sha256": secret_sha256,
        "token_endpoint_auth_methods": (registration["token_endpoint_auth_method"],),
        "redirect_uris": tuple(redirect_uris),
        "allowed_scopes": tuple(str(registration["scope"]).split()),
        "allowed_claims": policy.claims_for(str(registration["scope"]).split()),
        "upstreams": policy.upstreams,
        "downstream": policy.downstream,
        "contact": contacts[0] if contacts else None,
        "jwks": registration.get("jwks"),
        "jwks_uri": registration.get("jwks_uri"),
        "id_token_signed_response_alg": registration["id_token_signed_response_alg"],
        "userinfo_signed_response_alg": registration.get("userinfo_signed_response_alg"),
        "post_logout_redirect_uris": tuple(_strings(registration, "post_logout_redirect_uris", [])),
        "backchannel_logout_uri": registration.get("backchannel_logout_uri"),
        "backchannel_logout_session_required": registration.get(
            "backchannel_logout_session_required", False
        ),
    }
    for member, field in {**TEXTS, **OPTIONAL_TEXTS}.items():
        fields[field] = _text(registration, member, required=member in TEXTS)
    try:
        client = Client.model_validate(fields)
    except ValidationError as exc:
        raise _refusal(exc) from None
    problems = policy.problems(client)
    if problems:
        raise InvalidClientMetadataError(quoted(problems[0].partition(": ")[2], 200))
    return client


def _refusal(
    exc: ValidationError,
) -> InvalidClientMetadataError | InvalidRegisteredRedirectUriError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = quoted(f"{where}: {first['msg']}", 200)
    if where.startswith("redirect_uris"):
        return InvalidRegisteredRedirectUriError(message)
    return InvalidClientMetadataError(message)
