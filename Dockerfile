FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The app's lock (exact versions with hashes, as `make install` uses), then the code from /app.
COPY requirements/main.txt ./requirements/main.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/main.txt
COPY openops ./openops
COPY runbooks ./runbooks
COPY templates ./templates
COPY manage.py gunicorn.conf.py ./
RUN DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home openops && chown -R openops /app
USER openops
EXPOSE 8000
CMD ["gunicorn", "openops.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
