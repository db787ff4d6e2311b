#!/usr/bin/env bash
# Installs what the browser tests of the web chat widget need: Debian's Chromium and Japanese fonts.
# Idempotent: skips when both are present. (Playwright's own browser download does not work
# on closed networks; the tests drive /usr/bin/chromium instead.)
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk)
# axe-core (npm) checks the widget's accessibility in the browser tests, in every language.
AXE_DIR="$(cd "$(dirname "$0")/.." && pwd)/var/axe"
AXE_VERSION=4.14.1
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$AXE_DIR"
    (cd "$AXE_DIR" && npm install --no-audit --no-fund --silent "axe-core@$AXE_VERSION") \
      && echo "[browser] axe-core $AXE_VERSION: installed in var/axe" \
      || echo "[browser] WARNING: could not install axe-core (the accessibility tests will fail)" >&2
  else
    echo "[browser] WARNING: npm is missing: apt-get install npm, for axe-core (accessibility tests)" >&2
  fi
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ] && [ -x /usr/bin/chromium ]; then
  echo "[browser] chromium and fonts-noto-cjk: present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "[browser] ERROR: needs root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "[browser] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "[browser] done: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
