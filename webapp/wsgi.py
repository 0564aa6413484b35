"""The WSGI entry point for a production server: ``gunicorn 'webapp.wsgi:app'``.

Like ``linkages serve``, it refuses to start with insecure session cookies: the app carries
personal data and is served behind HTTPS. LINKAGES_INSECURE_LOCAL=true allows plain HTTP for a
copy on one machine (training), and says so."""

import os
import sys

from webapp import create_app
from webapp.settings import TRUE_WORDS, SettingsError

app = create_app()
if not app.config["SESSION_COOKIE_SECURE"]:
    if os.environ.get("LINKAGES_INSECURE_LOCAL", "").strip().lower() not in TRUE_WORDS:
        raise SettingsError(
            "refusing to start with insecure session cookies: serve behind HTTPS with "
            "LINKAGES_SESSION_COOKIE_SECURE=true, or set LINKAGES_INSECURE_LOCAL=true for a "
            "plain-HTTP copy on this machine only")
    print("warning: insecure session cookies (LINKAGES_INSECURE_LOCAL): this machine only",
          file=sys.stderr)
