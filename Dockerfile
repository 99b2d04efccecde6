# syntax=docker/dockerfile:1
# Baton's image. Build: `docker build -t baton .`; run it with compose.yaml (docs/deployment.md).
# The builder stage installs Baton and its dependencies into a virtualenv; the runtime stage is a
# plain python:3.11-slim with that virtualenv copied in: no compiler, no pip cache, no sources.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/baton
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY playground ./playground
# pip builds Baton's wheel (with its migrations) and installs it with every dependency; all of them,
# psycopg[binary] included, come as manylinux wheels, so no compiler is needed here either.
RUN /opt/baton/bin/pip install . \
    && /opt/baton/bin/baton --help > /dev/null

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/baton/bin:$PATH \
    PORT=3000
RUN groupadd --system --gid 10001 baton \
    && useradd --system --uid 10001 --gid baton --home-dir /app --no-create-home --shell /usr/sbin/nologin baton \
    && install -d -o baton -g baton -m 0750 /app
COPY --from=build /opt/baton /opt/baton
WORKDIR /app
USER 10001:10001
EXPOSE 3000
STOPSIGNAL SIGTERM
# No curl in slim images: Python asks /healthz, which answers 200 only when the database does.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]
ENTRYPOINT ["baton"]
CMD ["serve"]
