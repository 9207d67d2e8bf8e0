# The OCA giving site: gunicorn serving Django, static files collected at build time
# and served by whitenoise. Configure with the variables in .env.example.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# WeasyPrint (PDF receipts) draws text with Pango; the PDFs use DejaVu Sans.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings to load, not real secrets.
RUN SECRET_KEY=collectstatic-only DEBUG=false python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home /app oca \
    && mkdir -p /app/var && chown oca /app/var

USER oca
EXPOSE 8000
# Workers: 2-4 per core. The task worker for receipts runs as a second container
# from the same image: `python manage.py db_worker`.
CMD ["gunicorn", "oca_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*", "--max-requests", "2000", \
     "--max-requests-jitter", "200"]
