#!/usr/bin/env bash
# Set-up for the MQTT-over-WebSockets tests (called by scripts/setup.sh; safe to run again).
# Mosquitto (Debian) serves WebSockets itself; the second broker, aedes behind the `ws`
# package (tests/harness/node/), comes from the npm registry into the git-ignored
# tests/harness/node/node_modules/, pinned by its package-lock.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/tests/harness/node"

printf '\n==> %s\n' "WebSocket test brokers: Node.js + aedes, ws (npm ci in tests/harness/node)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    # shellcheck source=scripts/apt.sh
    source "$ROOT/scripts/apt.sh"
    apt_install nodejs npm
fi
# Reinstall only when the lock file changed since the last install.
stamp="$NODE_DIR/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ "$stamp" -nt "$NODE_DIR/package-lock.json" ]; then
    echo "present ($(node --version))"
else
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
fi
