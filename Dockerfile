# The production image: migrates the database, then serves with several worker processes.
# Configure with TALKUU_DATABASE_URL (PostgreSQL), TALKUU_SECRET_KEY, TALKUU_BASE_URL, ...
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TALKUU_ENV=production WORKERS=2
WORKDIR /srv/talkuu

RUN useradd --system --home /srv/talkuu talkuu
COPY pyproject.toml alembic.ini README.md ./
COPY app ./app
COPY migrations ./migrations
COPY web ./web
# Editable, so that templates, static files and migrations are read from this folder.
RUN pip install --no-cache-dir -e . && mkdir -p var && chown talkuu var

USER talkuu
EXPOSE 8000
CMD ["sh", "-c", "talkuu migrate && exec talkuu serve --host 0.0.0.0 --port 8000 --workers ${WORKERS}"]
