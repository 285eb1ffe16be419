"""What a resident does on each page, as reusable steps."""

from __future__ import annotations

from bs4 import Tag

from tests.support.browser import Page, Resident


def persona_form(qr: Page, persona: str) -> Tag:
    for form in qr.html.find_all("form"):
        hidden = form.find("input", attrs={"name": "persona"})
        if hidden is not None and hidden.get("value") == persona:
            return form
    raise AssertionError(f"no form for persona {persona} on {qr.url}")


def at_iamsmart(resident: Resident, start_url: str) -> Page:
    qr = resident.open(start_url)
    assert qr.status == 200, qr.text[:300]
    assert "/api/v1/auth/getQR" in qr.url, qr.url
    return qr


def choose(
    resident: Resident,
    qr: Page,
    persona: str,
    action: str = "approve",
    *,
    stop_at: str | None = None,
) -> Page:
    """Press Approve / Reject / Cancel / Time out for a persona on the QR page."""
    return resident.submit(
        qr, form=persona_form(qr, persona), button=("action", action), stop_at=stop_at
    )


def consent(resident: Resident, page: Page, decision: str, *, stop_at: str | None = None) -> Page:
    assert "/consent/" in page.url, page.url
    return resident.submit(page, button=("decision", decision), stop_at=stop_at)


def location_query(page: Page) -> dict[str, str]:
    """The query of the redirect the browser was stopped at."""
    from urllib.parse import parse_qs, urlsplit

    location = page.response.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
