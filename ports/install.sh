#!/usr/bin/env bash
# Installs every real-port driver at its pinned version (see each
# ports/<lang>/install.sh). A port whose toolchain is missing is reported and
# skipped, unless FIC_REQUIRE_PORTS=1, where that is an error: CI must never
# mistake a port that did not run for one that passed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
declare -A tool=([python]=python3 [node]=node [java]=mvn [go]=go)
status=0
for port in python node java go; do
    script="$here/$port/install.sh"
    if [[ ! -x "$script" && ! -f "$script" ]]; then
        echo "ports/install.sh: $port: no install script yet, skipped" >&2
        continue
    fi
    if ! command -v "${tool[$port]}" >/dev/null 2>&1; then
        if [[ "${FIC_REQUIRE_PORTS:-0}" == 1 ]]; then
            echo "ports/install.sh: $port: '${tool[$port]}' not found and FIC_REQUIRE_PORTS=1" >&2
            status=1
        else
            echo "ports/install.sh: $port: '${tool[$port]}' not found, skipped" >&2
        fi
        continue
    fi
    echo "ports/install.sh: $port: installing (pinned versions; the first run downloads them)" >&2
    if ! bash "$script"; then
        echo "ports/install.sh: $port: install failed (see above)" >&2
        status=1
    fi
done
exit $status
