"""Celery workers. Tasks are thin: load ids, call a service in ``competitions``."""
