#!/usr/bin/env bash
# Builds the MSAL Go driver at the version pinned in go.mod/go.sum into
# <repo>/.build/go-driver. Module and build caches live under <repo>/.build,
# so a second run is offline and fast. Safe to run again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "$here/../.." && pwd)/.build"
fail() { echo "ports/go/install.sh: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "'go' not found (install Go 1.22+)"
mkdir -p "$build"
export GOMODCACHE="$build/gomod" GOCACHE="$build/gocache"
# go.sum is the pin: never let the build edit go.mod, and never fetch a
# toolchain (only the module proxy is reachable).
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local
(cd "$here" && go test -count=1 ./... >"$build/go-driver-test.log" 2>&1) \
    || { tail -40 "$build/go-driver-test.log" >&2; fail "the driver's offline tests failed (above; full log $build/go-driver-test.log)"; }
(cd "$here" && go build -trimpath -o "$build/go-driver" .) \
    || fail "go build failed (see above); the module proxy must be reachable on the first run"

want="$(sed -n 's|^require github.com/AzureAD/microsoft-authentication-library-for-go \(v[^ ]*\)$|\1|p' "$here/go.mod")"
[[ -n "$want" ]] || fail "go.mod does not require MSAL Go on a single 'require' line"
got="$(echo '{"id":1,"cmd":"hello"}' | "$build/go-driver" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
[[ -n "$got" ]] || fail "the driver did not answer hello"
[[ "$got" == "$want" ]] || fail "the driver loaded MSAL Go $got, go.mod pins $want"
echo "ports/go: MSAL Go $got driver built at $build/go-driver"
