#!/usr/bin/env bash
# Installs one build of MSAL Python into its own venv, DEST/venv, apart from
# the pinned install: a released version (`DEST version 1.39.0`, installed
# with `pip install msal==VERSION`: only the pinned install has hashes to
# check) or an MSAL Python source tree (`DEST path DIR`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "ports/python/install-build.sh: $*" >&2; exit 1; }
[[ $# -eq 3 && ( "$2" == version || "$2" == path ) ]] \
    || fail "usage: install-build.sh DEST version VERSION | DEST path DIR"
dest="$1" kind="$2" what="$3"
venv="$dest/venv"

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || fail "'$python' not found (set PYTHON to a Python 3.8+ interpreter)"

if [[ "$kind" == version ]]; then
    requirement="msal==$what"
else
    [[ -d "$what" ]] || fail "$what is not a folder (an MSAL Python source tree is)"
    requirement="$(cd "$what" && pwd)"
    [[ -f "$requirement/msal/__init__.py" ]] \
        || fail "$what has no msal/__init__.py: not an MSAL Python source tree"
    [[ -f "$requirement/setup.py" || -f "$requirement/pyproject.toml" ]] \
        || fail "$what has neither setup.py nor pyproject.toml: pip cannot install it"
fi

mkdir -p "$dest"
rm -f "$dest/.installed"
if ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
    "$python" -m venv --clear "$venv" \
        || fail "cannot create a venv at $venv (on Debian/Ubuntu: apt-get install python3-venv)"
fi
log="$dest/install.log"
pip=("$venv/bin/python" -m pip install --disable-pip-version-check)
# A source tree is reinstalled on every run (it changes between runs), its
# dependencies only when missing.
if [[ "$kind" == path ]]; then
    "${pip[@]}" --no-deps --force-reinstall "$requirement" >"$log" 2>&1 \
        || { tail -15 "$log" >&2; fail "pip install $requirement failed (above; full log $log)"; }
fi
"${pip[@]}" "$requirement" >>"$log" 2>&1 \
    || { tail -15 "$log" >&2; fail "pip install $requirement failed (above; full log $log)"; }

got="$(echo '{"id":1,"cmd":"hello"}' | "$venv/bin/python" "$here/driver.py" \
    | "$venv/bin/python" -c 'import json, sys; print(json.loads(sys.stdin.readline())["version"])')" \
    || fail "driver.py did not answer hello with $venv"
if [[ "$kind" == version && "$got" != "$what" ]]; then
    fail "driver.py loaded msal $got, $what was asked for"
fi
echo "$kind $what" >"$dest/.installed"
echo "ports/python: msal $got installed in $venv"
