# One image for the web server and the workers. Not built on the development
# machines (no Docker engine there); kept simple so it stays correct.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=hwr_site.settings python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "hwr_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
