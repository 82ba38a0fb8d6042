# Tandem web, worker and beat image (the same image runs all three).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TANDEM_ENV=production \
    FLASK_APP=wsgi \
    TANDEM_INSTANCE_PATH=/var/lib/tandem

WORKDIR /app
RUN useradd --system --create-home --home-dir /home/tandem tandem \
    && mkdir -p /var/lib/tandem && chown tandem /var/lib/tandem

COPY pyproject.toml constraints.txt README.md ./
COPY competitions ./competitions
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY wsgi.py babel.cfg ./
RUN pip install --no-cache-dir -c constraints.txt -e . \
    && pybabel compile -d competitions/translations

USER tandem
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "wsgi:app"]
