#!/usr/bin/env bash
# Installs one build of @azure/msal-node into DEST, apart from the pinned
# install: a released version (`DEST version 7.2.4`, pinned exactly) or a
# local package folder or tarball (`DEST path DIR|FILE.tgz`), next to undici
# at the version ports/node/package.json pins. The harness runs a copy of
# driver.mjs from DEST: an ES module resolves its imports from its own folder,
# so `import("@azure/msal-node")` loads DEST's copy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "ports/node/install-build.sh: $*" >&2; exit 1; }
[[ $# -eq 3 && ( "$2" == version || "$2" == path ) ]] \
    || fail "usage: install-build.sh DEST version VERSION | DEST path DIR|FILE.tgz"
dest="$1" kind="$2" what="$3"

command -v node >/dev/null 2>&1 || fail "'node' not found (msal-node needs Node.js 20+)"
command -v npm >/dev/null 2>&1 || fail "'npm' not found"

if [[ "$kind" == version ]]; then
    spec="$what"
else
    [[ -e "$what" ]] || fail "$what does not exist"
    abs="$(cd "$(dirname "$what")" && pwd)/$(basename "$what")"
    if [[ -d "$abs" ]]; then
        [[ -f "$abs/package.json" ]] || fail "$what has no package.json: not an @azure/msal-node package folder"
        name="$(node -p 'require(process.argv[1]).name' "$abs/package.json")" \
            || fail "$abs/package.json does not parse"
        [[ "$name" == "@azure/msal-node" ]] \
            || fail "$what is the package '$name', not @azure/msal-node"
        [[ -d "$abs/dist" || -d "$abs/lib" ]] \
            || fail "$what is not built (no dist/ or lib/): build the package first (npm run build)"
    elif [[ -f "$abs" && "$abs" == *.tgz ]]; then
        :
    else
        fail "$what is neither an @azure/msal-node package folder nor a .tgz tarball"
    fi
    spec="file:$abs"
fi

mkdir -p "$dest"
rm -rf "$dest/node_modules" "$dest/package-lock.json" "$dest/.installed"
undici="$(node -p 'require(process.argv[1]).dependencies.undici' "$here/package.json")"
node -e '
const [file, msal, undici] = process.argv.slice(1);
require("fs").writeFileSync(file, JSON.stringify({
    name: "fic-harness-node-build", private: true, type: "module",
    dependencies: { "@azure/msal-node": msal, undici },
}, null, 2) + "\n");' "$dest/package.json" "$spec" "$undici"
log="$dest/install.log"
# --install-links copies a local folder (with its dependencies resolved here)
# instead of linking it, so the driver never loads the checkout's own
# node_modules.
(cd "$dest" && npm install --no-audit --no-fund --loglevel=error --install-links) >"$log" 2>&1 \
    || { tail -15 "$log" >&2; fail "npm install of @azure/msal-node@$spec failed (above; full log $log)"; }
cp "$here/driver.mjs" "$dest/driver.mjs"

got="$(echo '{"id":1,"cmd":"hello"}' | node "$dest/driver.mjs" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s.split("\n")[0]).version))')" \
    || fail "driver.mjs did not answer hello with $dest/node_modules"
if [[ "$kind" == version && "$got" != "$what" ]]; then
    fail "driver.mjs loaded @azure/msal-node $got, $what was asked for"
fi
echo "$kind $what" >"$dest/.installed"
echo "ports/node: @azure/msal-node $got installed in $dest"
