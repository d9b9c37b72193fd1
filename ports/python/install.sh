#!/usr/bin/env bash
# Installs MSAL Python at its pinned version (requirements.txt: every package
# pinned and hash-checked) into <repo>/.build/venv, the interpreter the harness
# runs ports/python/driver.py with. Safe to run again: an intact venv is reused.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(cd "$here/../.." && pwd)/.build/venv"
fail() { echo "ports/python/install.sh: $*" >&2; exit 1; }

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || fail "'$python' not found (set PYTHON to a Python 3.8+ interpreter)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))' \
    || fail "msal 1.39.0 needs Python 3.8+, found $("$python" --version 2>&1)"

# A venv whose interpreter no longer runs (moved or upgraded Python) is rebuilt.
if ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
    "$python" -m venv --clear "$venv" \
        || fail "cannot create a venv at $venv (on Debian/Ubuntu: apt-get install python3-venv)"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r "$here/requirements.txt" || fail "pip install -r $here/requirements.txt failed (see above)"

# The driver must start and report the pinned version it actually loaded.
want="$(sed -n 's/^msal==\([^ ]*\).*/\1/p' "$here/requirements.txt")"
got="$(echo '{"id":1,"cmd":"hello"}' | "$venv/bin/python" "$here/driver.py" \
    | "$venv/bin/python" -c 'import json, sys; print(json.loads(sys.stdin.readline())["version"])')" \
    || fail "driver.py did not answer hello"
[[ "$got" == "$want" ]] || fail "driver.py loaded msal $got, requirements.txt pins $want"
echo "ports/python: msal $got installed in $venv"
