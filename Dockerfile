# One image for the bridge and both mock identity providers.
# The official python images build CPython with --enable-optimizations --with-lto (PGO
# and LTO), which runs pure-Python code 10-25 % faster than a plain source build: keep
# to them (or another optimised build) when changing the base image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when the
# dependencies change, not on every code change.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && useradd --system --uid 10001 bridge \
    && mkdir /app/keys && chown bridge /app/keys

COPY bridge ./bridge
COPY mock_idps ./mock_idps
RUN pip install --no-deps .
COPY config ./config

# /app/keys (BRIDGE_KEYS_DIR's default) belongs to `bridge`: key rotation writes there.
USER bridge
EXPOSE 8000
CMD ["bridge", "serve", "--port", "8000"]
