# Production image of the bertsum summarization service.
#
#   docker build -t bertsum-service .                     # CPU torch (the default)
#   docker build -t bertsum-service:cuda \
#     --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .
#   docker run --rm -p 8000:8000 bertsum-service
#   docker run --rm -e BERTSUM_PORT=9000 -p 9000:9000 bertsum-service   # another port
#
# Layers that hold torch and the other dependencies depend only on the build
# arguments and pyproject.toml, so an edit under app/ or model/ rebuilds only
# the small last layer. The shipped checkpoint (model/resources/) is package
# data: it travels inside the installed package, and nothing is fetched from a
# model hub at run time.

FROM python:3.11-slim AS base

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH


# --- deps: torch from the chosen wheel index, then pyproject's dependencies ---
FROM base AS deps

# Where torch comes from. PyPI's Linux torch is the multi-GB CUDA build, so the
# default is PyTorch's CPU index; point it at a CUDA index (.../whl/cu128) for
# GPUs, or at a local index or mirror. TORCH_SPEC must agree with the pin in
# pyproject.toml, or the next step refuses to resolve (on purpose). (DL3013
# cannot see that TORCH_SPEC is a pinned requirement.)
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_SPEC=torch==2.13.0

# hadolint ignore=DL3013
RUN python -m venv "$VIRTUAL_ENV" \
 && pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" "$TORCH_SPEC"

WORKDIR /build
COPY pyproject.toml ./
# Only the dependency list from pyproject.toml, with torch held at the build
# just installed, so pip can never swap in another torch from PyPI.
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
 && python -c "import importlib.metadata as m; print('torch==' + m.version('torch'))" > constraints.txt \
 && pip install --no-cache-dir -c constraints.txt -r requirements.txt


# --- build: the project itself, installed under /pkg to be laid over the venv ---
FROM deps AS build

COPY README.md ./
COPY model ./model
COPY app ./app
RUN pip install --no-cache-dir --no-deps --no-warn-script-location --prefix /pkg . \
 && python -c "import sys; sys.path.insert(0, '/pkg/lib/python%d.%d/site-packages' % sys.version_info[:2]); import app.cli, model.cli"


# --- runtime ---
FROM base AS runtime

LABEL org.opencontainers.image.title="bertsum-service" \
      org.opencontainers.image.description="BertSum-style extractive summarization over HTTP"

# /models belongs to the service's user: a named volume mounted there (compose's
# `checkpoints`, written by `bertsum train`) starts with this owner.
RUN groupadd --system --gid 10001 bertsum \
 && useradd --system --uid 10001 --gid bertsum --create-home --home-dir /home/bertsum \
      --shell /usr/sbin/nologin bertsum \
 && mkdir -p /models \
 && chown 10001:10001 /models

COPY --from=deps /opt/venv /opt/venv
COPY --from=build /pkg/ /opt/venv/

# Service settings (app/settings.py, prefix BERTSUM_); all can be overridden
# at `docker run -e` or in docker-compose.yml. BERTSUM_CHECKPOINT unset means
# the checkpoint shipped inside the package.
ENV PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/home/bertsum/.cache/huggingface \
    BERTSUM_HOST=0.0.0.0 \
    BERTSUM_PORT=8000 \
    BERTSUM_DEVICE=auto \
    BERTSUM_DTYPE=auto \
    BERTSUM_LOG_LEVEL=INFO \
    BERTSUM_JSON_LOGS=false

USER 10001:10001
WORKDIR /home/bertsum

EXPOSE 8000

# Liveness only (/ready says whether the model is loaded). The slim image has
# no curl; urlopen raises, and so exits non-zero, on any non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('BERTSUM_PORT', '8000') + '/health', timeout=4)"]

# No --host/--port here: `bertsum serve` reads BERTSUM_HOST and BERTSUM_PORT,
# so `-e BERTSUM_PORT=9000` moves the server and its healthcheck together.
CMD ["bertsum", "serve"]
