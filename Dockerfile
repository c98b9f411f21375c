# syntax=docker/dockerfile:1
# The image of every part, built from the repository root (the context holding libs/):
#   docker build --build-arg PART=services/catalog --build-arg APP=catalog \
#       --build-arg PORT=8001 -t hdh/catalog:dev .
# PART: the part's folder; APP: its package (serving APP.main:create_app); PORT: where it
# listens; PROXY_HEADERS=false for the gateway, which reads them from HDH_TRUSTED_PROXIES alone.
# Pinned to a patch release and Debian suite; in a registry-connected build, append the
# digest (python:3.11.11-slim-bookworm@sha256:...) so a rebuilt tag cannot change the image.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# Build stage: a virtualenv holding the libs and the part, built from the tree. All paths go
# to one pip command so pip takes hdh-common, hdh-identifiers and hdh-tlog from libs/, not a registry;
# every third-party distribution at its pin in the lock (constraints.txt).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# A C compiler and OpenSSL's headers for linkage's HMAC kernel (linkage.pseudonyms._hmac);
# one layer shared by every part. The runtime stage has neither (slim ships libssl3).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY constraints.txt /src/constraints.txt
COPY libs /src/libs
ARG PART
# COMMON_EXTRAS=[spark] for the Spark image (pyspark and its Arrow dependencies).
ARG COMMON_EXTRAS=""
COPY ${PART} /src/${PART}
RUN /opt/venv/bin/pip install -c /src/constraints.txt \
    /src/libs/identifiers "/src/libs/common${COMMON_EXTRAS}" /src/libs/tlog /src/${PART}

# Spark image (--target spark, PART=services/linkage, COMMON_EXTRAS=[spark]): the part's code
# on a Java 17 runtime, for the Spark master, workers, drivers and executors, whose Python
# workers run the same kernels as the service.
FROM ${PYTHON_IMAGE} AS spark
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 hdh \
    && useradd --system --uid 10001 --gid hdh --home-dir /app --no-create-home hdh \
    && mkdir -p /app && chown hdh:hdh /app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:/opt/venv/lib/python3.11/site-packages/pyspark/bin:$PATH \
    SPARK_HOME=/opt/venv/lib/python3.11/site-packages/pyspark \
    PYSPARK_PYTHON=/opt/venv/bin/python PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001:10001

# Runtime stage: the virtualenv only, no compiler, no sources, no pip cache.
FROM ${PYTHON_IMAGE}
ARG APP
ARG PORT
ARG PROXY_HEADERS=true
# uvicorn reads its options from UVICORN_* variables: one process serving the app factory
# (no workers; scale with replicas).
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UVICORN_APP=${APP}.main:create_app UVICORN_FACTORY=true UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=${PORT} UVICORN_SERVER_HEADER=false UVICORN_PROXY_HEADERS=${PROXY_HEADERS}
# A fixed numeric uid, so Kubernetes' runAsNonRoot can check it without a passwd lookup.
RUN groupadd --system --gid 10001 hdh \
    && useradd --system --uid 10001 --gid hdh --home-dir /app --no-create-home hdh \
    && mkdir -p /app /var/lib/hdh && chown hdh:hdh /app /var/lib/hdh
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE ${PORT}
# slim has no curl: probe with the standard library.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"UVICORN_PORT\"]}/healthz', timeout=2)"]
CMD ["uvicorn"]
