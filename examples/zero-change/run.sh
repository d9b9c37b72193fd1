#!/usr/bin/env bash
# Runs one unmodified MSAL app against the mock. Only the environment points
# it there: the proxy and the CA from the mock's ready line. The app reads its
# own settings as it would in production: TENANT_ID, CLIENT_ID, CLIENT_SECRET,
# FMI_PATH. Uses the packages ports/install.sh installed. The settings per
# language are the ones docs/mock-entra.md shows.
#
# Usage: PROXY=... CA_CERT=... examples/zero-change/run.sh python|node|java|go
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
: "${PROXY:?set PROXY to the ready line's proxy}" "${CA_CERT:?set CA_CERT to the ready line's ca_cert}"

case "${1:-}" in
python)
    HTTPS_PROXY="$PROXY" REQUESTS_CA_BUNDLE="$CA_CERT" \
        .build/venv/bin/python examples/zero-change/python/app.py
    ;;
node)
    # The app resolves its packages (msal-node, undici) from ports/node.
    [[ -e examples/zero-change/node/node_modules ]] \
        || ln -s ../../../ports/node/node_modules examples/zero-change/node/node_modules
    HTTPS_PROXY="$PROXY" NODE_EXTRA_CA_CERTS="$CA_CERT" \
        NODE_OPTIONS="--import=./examples/zero-change/node/proxy-preload.mjs" \
        node examples/zero-change/node/app.mjs
    ;;
java)
    proxy="${PROXY#*://}"; proxy="${proxy%%/*}"
    trust="$(mktemp -d)"
    trap 'rm -rf "$trust"' EXIT
    keytool -importcert -noprompt -alias mock-entra -file "$CA_CERT" \
        -keystore "$trust/mock-entra.p12" -storetype PKCS12 -storepass changeit >/dev/null
    JAVA_TOOL_OPTIONS="-Dhttps.proxyHost=${proxy%:*} -Dhttps.proxyPort=${proxy##*:} -Djavax.net.ssl.trustStore=$trust/mock-entra.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit" \
        java -cp "ports/java/target/lib/*" examples/zero-change/java/App.java
    ;;
go)
    cd examples/zero-change/go
    # The module cache ports/go/install.sh filled; nothing is downloaded.
    HTTPS_PROXY="$PROXY" SSL_CERT_FILE="$CA_CERT" \
        GOMODCACHE="$repo/.build/gomod" GOCACHE="$repo/.build/gocache" \
        GOFLAGS=-mod=readonly GOPROXY=off GOTOOLCHAIN=local \
        go run .
    ;;
*)
    echo "usage: PROXY=... CA_CERT=... $0 python|node|java|go" >&2
    exit 2
    ;;
esac
