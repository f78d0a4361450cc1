FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY openops ./openops
COPY runbooks ./runbooks
COPY templates ./templates
COPY manage.py gunicorn.conf.py ./
RUN pip install --no-cache-dir . && \
    DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home openops && chown -R openops /app
USER openops
EXPOSE 8000
CMD ["gunicorn", "openops.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
