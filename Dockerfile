# riskreg: one image that migrates the database, then serves the web app and API on $PORT.
# docker build -t riskreg .
# docker run -p 8000:8000 -e DATABASE_URL=postgres://… -e RISKREG_SECRET_KEY=… riskreg
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RISKREG_ENV=production \
    PORT=8000

# The system libraries WeasyPrint loads to render PDF records, and a font to render them with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# The source stays in /app and is installed in editable mode, so `app` is imported from /app/app:
# app/core/migrations.py finds alembic.ini and migrations/ two directories above itself (/app).
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app/ app/
COPY migrations/ migrations/
COPY questionnaires/ questionnaires/
COPY scripts/ scripts/
RUN pip install --no-cache-dir -e . \
    && python scripts/check_system.py

RUN useradd --create-home --uid 10001 --user-group riskreg
USER riskreg

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"

# Migrate first (a failure stops the container), then replace the shell with the server.
CMD ["sh", "-c", "riskreg migrate && exec riskreg serve --host 0.0.0.0 --port ${PORT}"]
