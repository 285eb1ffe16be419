"""What the consent page shows: each attribute with its label and a preview of the
value, masked where the attribute is sensitive, plus the recipient, the purpose and
the receiving jurisdiction; and whether the resident may ask for the decision to be
remembered (bridge.consent.memory)."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.claims.mapper import ClaimMapper
from bridge.model import PendingConsent
from bridge.provider.clients import Client
from bridge.wire import SCOPE_OFFLINE_ACCESS


@dataclass(frozen=True, slots=True)
class ConsentItem:
    claim: str
    label: str
    preview: str


@dataclass(frozen=True, slots=True)
class ConsentView:
    interaction_id: str
    csrf_token: str
    client_name: str
    idp_name: str
    """The identity provider that confirmed who the resident is."""
    origin: str
    """Where the information comes from (the direction's rule file)."""
    purpose: str
    jurisdiction: str
    items: tuple[ConsentItem, ...]
    regime: str = "pdpo"
    """`pipl`: the page is PIPL Art. 39's separate consent to a cross-border provision."""
    contact: str = ""
    processing: str = ""
    remember_days: int = 0
    """Offer to remember the decision for this many days (0: do not offer)."""
    offline_days: int = 0
    """The client asked for offline access (OIDC Core §11): it may keep getting tokens
    for this many days without the resident; the page must say so (0: not asked)."""


def mask(value: str) -> str:
    """Keep enough to recognise one's own value, hide enough to be useless to others."""
    if len(value) <= 4:
        return "•" * len(value)
    return value[:2] + "•" * (len(value) - 4) + value[-2:]


def build_view(
    pending: PendingConsent,
    client: Client,
    mapper: ClaimMapper,
    locale: str,
    *,
    idp_name: str,
    remember_days: int = 0,
    offline_days: int = 0,
) -> ConsentView:
    items = []
    for claim in mapper.claims:  # rule order: the order the resident reads
        if claim not in pending.claims:
            continue
        text = mapper.display(claim, pending.claims[claim], locale)
        items.append(
            ConsentItem(
                claim=claim,
                label=mapper.label(claim, locale),
                preview=mask(text) if mapper.is_sensitive(claim) else text,
            )
        )
    return ConsentView(
        interaction_id=pending.interaction_id,
        csrf_token=pending.csrf_token,
        client_name=client.name.get(locale),
        idp_name=idp_name,
        origin=mapper.rules.consent.origin.for_locale(locale) if mapper.rules.consent else "",
        purpose=client.purpose.get(locale),
        jurisdiction=client.jurisdiction.get(locale),
        items=tuple(items),
        regime=mapper.rules.consent.regime if mapper.rules.consent else "pdpo",
        contact=client.contact or "",
        processing=client.processing.get(locale) if client.processing else "",
        remember_days=remember_days,
        offline_days=offline_days if SCOPE_OFFLINE_ACCESS in pending.request.scopes else 0,
    )
