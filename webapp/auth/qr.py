"""The QR code of a two-factor secret, drawn on the server as inline SVG (no script, no
third-party service: the secret never leaves the page)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(uri: str) -> Markup:
    # segno writes only SVG attributes (no style attribute), which the CSP allows.
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", dark="#000", light="#fff")
    return Markup(svg)  # segno's own markup, from a URI built here
