#!/usr/bin/env bash
# Builds the msal4j driver at the version pinned in pom.xml into
# ports/java/target/java-driver.jar (+ target/lib/*.jar on its manifest class
# path). The Maven repository lives in <repo>/.build/m2, so a second run is
# offline-friendly. Safe to run again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "$here/../.." && pwd)/.build"
fail() { echo "ports/java/install.sh: $*" >&2; exit 1; }

command -v java >/dev/null 2>&1 || fail "'java' not found (install a JDK 11+)"
command -v mvn >/dev/null 2>&1 || fail "'mvn' not found (install Maven 3.6+)"
major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
[[ -n "$major" && "$major" -ge 11 ]] || fail "the driver needs Java 11+, found java.specification.version '${major:-?}'"

mkdir -p "$build/m2"
# A previous build's lib/ may hold another msal4j version: start it clean.
rm -rf "$here/target/lib"
# Maven's own output is kept for a failure only; `package` also runs the
# driver's offline tests (src/test).
log="$build/java-driver-build.log"
if ! mvn -B -Dstyle.color=never -f "$here/pom.xml" -Dmaven.repo.local="$build/m2" package >"$log" 2>&1; then
    grep -E '^\[ERROR\]|Tests run:|FAIL' "$log" | head -40 >&2
    fail "mvn package failed (above; full log $log); Maven Central must be reachable on the first run"
fi

want="$(sed -n 's|^ *<msal4j.version>\([0-9][^<]*\)</msal4j.version>.*|\1|p' "$here/pom.xml")"
got="$(echo '{"id":1,"cmd":"hello"}' | java -jar "$here/target/java-driver.jar" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
[[ -n "$got" ]] || fail "the driver did not answer hello"
[[ "$got" == "$want" ]] || fail "the driver loaded msal4j $got, pom.xml pins $want"
echo "ports/java: msal4j $got driver built at $here/target/java-driver.jar"
