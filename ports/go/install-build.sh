#!/usr/bin/env bash
# Builds the MSAL Go driver for one build of MSAL Go into DEST/go-driver,
# apart from the pinned build: a released version (`DEST version v1.10.1`:
# a copy of the driver's module requiring that version) or a local module
# folder (`DEST path DIR`, used through a `replace`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "$here/../.." && pwd)/.build"
module=github.com/AzureAD/microsoft-authentication-library-for-go
fail() { echo "ports/go/install-build.sh: $*" >&2; exit 1; }
[[ $# -eq 3 && ( "$2" == version || "$2" == path ) ]] \
    || fail "usage: install-build.sh DEST version VERSION | DEST path DIR"
dest="$1" kind="$2" what="$3"

command -v go >/dev/null 2>&1 || fail "'go' not found (install Go 1.22+)"
export GOMODCACHE="$build/gomod" GOCACHE="$build/gocache" GOTOOLCHAIN=local GOFLAGS=-mod=mod
mkdir -p "$dest/src"
rm -f "$dest/.installed"
cp "$here/go.mod" "$here/go.sum" "$dest/src/"
find "$here" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$dest/src/" \;
if [[ "$kind" == version ]]; then
    [[ "$what" == v* ]] || what="v$what"
    edit=(-require="$module@$what")
else
    [[ -d "$what" ]] || fail "$what is not a folder (a module folder is)"
    abs="$(cd "$what" && pwd)"
    [[ "$(sed -n 's/^module \([^ ]*\).*/\1/p' "$abs/go.mod" 2>/dev/null)" == "$module" ]] \
        || fail "$what/go.mod is not the module $module"
    edit=(-replace="$module=$abs")
fi
log="$dest/build.log"
(cd "$dest/src" && go mod edit "${edit[@]}" && go mod tidy && go build -trimpath -o "$dest/go-driver" .) >"$log" 2>&1 \
    || { tail -15 "$log" >&2; fail "building the driver with MSAL Go $what failed (above; full log $log)"; }
got="$(echo '{"id":1,"cmd":"hello"}' | "$dest/go-driver" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
[[ -n "$got" ]] || fail "the driver did not answer hello"
if [[ "$kind" == version && "$got" != "$what" ]]; then
    fail "the driver loaded MSAL Go $got, $what was asked for"
fi
echo "$kind $what" >"$dest/.installed"
echo "ports/go: MSAL Go $got driver built at $dest/go-driver"
