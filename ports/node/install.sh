#!/usr/bin/env bash
# Installs @azure/msal-node at its pinned version (package.json + the exact
# tree in package-lock.json, via npm ci) into ports/node/node_modules.
# Safe to run again: npm ci rebuilds node_modules from the lock file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "ports/node/install.sh: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "'node' not found (msal-node 7.2.4 needs Node.js 20+)"
command -v npm >/dev/null 2>&1 || fail "'npm' not found"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
    || fail "msal-node 7.2.4 needs Node.js 20+, found $(node --version)"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1 \
    || { cat "$log" >&2; fail "npm ci in $here failed (see above)"; }

# The driver must start and report the pinned version it actually loaded.
want="$(node -p 'require(process.argv[1]).dependencies["@azure/msal-node"]' "$here/package.json")"
got="$(echo '{"id":1,"cmd":"hello"}' | node "$here/driver.mjs" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s.split("\n")[0]).version))')" \
    || fail "driver.mjs did not answer hello"
[[ "$got" == "$want" ]] || fail "driver.mjs loaded @azure/msal-node $got, package.json pins $want"
echo "ports/node: @azure/msal-node $got installed in $here/node_modules"
