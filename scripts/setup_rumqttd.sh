#!/usr/bin/env bash
# Set-up for the MQTT 5 second-broker tests (called by scripts/setup.sh; safe to run
# again): rumqttd, a broker that speaks MQTT 5 (aedes 1.2.0 answers an MQTT 5 CONNECT
# with a 3.1.1 refusal, amqtt speaks 3.1.1 only), built from crates.io into the
# git-ignored tests/.cache/rumqttd (about 2 minutes on 2 cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/tests/.cache/rumqttd"
VERSION=0.20.0

printf '\n==> %s\n' "MQTT 5 second broker: rumqttd $VERSION (cargo install into tests/.cache/rumqttd)"
if [ -x "$DEST/bin/rumqttd" ] && "$DEST/bin/rumqttd" --version | grep -q "$VERSION"; then
    echo "present ($("$DEST/bin/rumqttd" --version))"
else
    # No TLS or WebSockets: the tests use its plain MQTT 5 listener. Not --locked:
    # its published lock pins metrics 0.22.1, which rustc 1.95 refuses (E0521).
    cargo install rumqttd --version "$VERSION" --no-default-features \
        --root "$DEST" -j "${CARGO_BUILD_JOBS:-2}"
fi
