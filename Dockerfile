# One image for the bridge and both mock identity providers.
# The official python images build CPython with --enable-optimizations --with-lto (PGO
# and LTO), which runs pure-Python code 10-25 % faster than a plain source build: keep
# to them (or another optimised build) when changing the base image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bridge ./bridge
COPY mock_idps ./mock_idps
RUN pip install . && useradd --system --uid 10001 bridge
COPY config ./config

USER bridge
EXPOSE 8000
CMD ["bridge", "serve", "--port", "8000"]
