"""WSGI entry point: ``gunicorn wsgi:app``."""

from competitions import create_app
from competitions.core import tasks

app = create_app()
tasks.prepare(app)  # in each web server process, before its first request
