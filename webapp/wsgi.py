"""The WSGI entry point for a production server: ``gunicorn 'webapp.wsgi:app'``."""

from webapp import create_app

app = create_app()
