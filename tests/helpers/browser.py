"""A tiny stand-in for the user's browser on the sandbox consent page.

It does what a browser does with the page's form: submits the checked, enabled inputs, the
selected option and the clicked button, then follows the redirect to the app's loopback
receiver. It knows nothing about the sandbox's internals, only its HTML.
"""

from __future__ import annotations

import html.parser
import urllib.parse
from dataclasses import dataclass, field

import httpx


@dataclass
class Form:
    action: str = ""
    method: str = "get"
    fields: list[tuple[str, str]] = field(default_factory=list)
    checkboxes: dict[str, list[tuple[str, bool, bool]]] = field(default_factory=dict)
    selects: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, value)


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form is None:
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
        if self.form is None:
            return
        if tag == "input":
            kind = a.get("type", "text")
            name = a.get("name", "")
            if kind == "checkbox":
                self.form.checkboxes.setdefault(name, []).append(
                    (a.get("value", "on"), "checked" in a, "disabled" in a))
            elif kind in ("hidden", "text") and name and "disabled" not in a:
                self.form.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name", "")
            self.form.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.form.selects[self._select].append((a.get("value", ""), "selected" in a))
        elif tag == "button":
            self.form.buttons[a.get("id", "")] = (a.get("name", ""), a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse_form(page: str) -> Form:
    parser = _FormParser()
    parser.feed(page)
    assert parser.form is not None, "no form on the page"
    return parser.form


def play_consent(authorize_url: str, *, button: str = "authorize",
                 untick: tuple[str, ...] = (), user: str | None = None,
                 follow: bool = True) -> httpx.Response:
    """Open the consent page, optionally untick scopes / pick a user, press a button.

    Returns the loopback receiver's response (or the redirect itself with follow=False).
    """
    with httpx.Client(timeout=10) as client:
        page = client.get(authorize_url)
        assert page.status_code == 200, page.text
        form = parse_form(page.text)
        data = list(form.fields)
        for name, boxes in form.checkboxes.items():
            for value, checked, disabled in boxes:
                if checked and not disabled and value not in untick:
                    data.append((name, value))
        for name, options in form.selects.items():
            values = [v for v, _ in options]
            chosen = user if user is not None else next(
                (v for v, sel in options if sel), values[0] if values else "")
            assert chosen in values, f"{chosen!r} not offered: {values}"
            data.append((name, chosen))
        name, value = form.buttons[button]
        data.append((name, value))
        action = urllib.parse.urljoin(str(page.url), form.action)
        answer = client.post(action, content=urllib.parse.urlencode(data),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code in (302, 303), answer.text
        location = answer.headers["location"]
        if not follow:
            return answer
        return client.get(location)
