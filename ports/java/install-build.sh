#!/usr/bin/env bash
# Builds the msal4j driver for one build of msal4j into DEST, apart from the
# pinned build: a released version (`DEST version 1.26.1`: the driver's
# project copied to DEST/project and built with -Dmsal4j.version=VERSION) or a
# local msal4j (`DEST path FILE.jar|DIR`): a jar, or a Maven project folder
# built first (`mvn package` there), put on the driver's class path in place
# of the pinned msal4j jar (the pinned version's other dependencies stay).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "$here/../.." && pwd)/.build"
fail() { echo "ports/java/install-build.sh: $*" >&2; exit 1; }
[[ $# -eq 3 && ( "$2" == version || "$2" == path ) ]] \
    || fail "usage: install-build.sh DEST version VERSION | DEST path FILE.jar|DIR"
dest="$1" kind="$2" what="$3"

command -v java >/dev/null 2>&1 || fail "'java' not found (install a JDK 11+)"
command -v mvn >/dev/null 2>&1 || fail "'mvn' not found (install Maven 3.6+)"
pin="$(sed -n 's|^ *<msal4j.version>\([0-9][^<]*\)</msal4j.version>.*|\1|p' "$here/pom.xml")"
version="$pin"
jar=""
if [[ "$kind" == version ]]; then
    version="$what"
else
    [[ -e "$what" ]] || fail "$what does not exist"
    abs="$(cd "$(dirname "$what")" && pwd)/$(basename "$what")"
    if [[ -f "$abs" && "$abs" == *.jar ]]; then
        unzip -l "$abs" 'com/microsoft/aad/msal4j/ConfidentialClientApplication.class' >/dev/null 2>&1 \
            || fail "$what holds no com.microsoft.aad.msal4j.ConfidentialClientApplication: not an msal4j jar"
        jar="$abs"
    elif [[ -f "$abs/pom.xml" ]]; then
        grep -q '<artifactId>msal4j</artifactId>' "$abs/pom.xml" \
            || fail "$what/pom.xml is not msal4j's project"
        mvn -B -q -Dstyle.color=never -f "$abs/pom.xml" -Dmaven.repo.local="$build/m2" -DskipTests package \
            >"$dest.mvn-local.log" 2>&1 \
            || { mkdir -p "$dest"; tail -15 "$dest.mvn-local.log" >&2; fail "mvn package in $what failed (above)"; }
        jar="$(ls "$abs"/target/msal4j-*.jar | grep -v -e sources -e javadoc -e tests | head -1)"
        [[ -n "$jar" ]] || fail "mvn package in $what left no target/msal4j-*.jar"
    else
        fail "$what is neither an msal4j jar nor a Maven project folder"
    fi
fi

mkdir -p "$dest/project" "$build/m2"
rm -f "$dest/.installed"
cp "$here/pom.xml" "$dest/project/pom.xml"
rm -rf "$dest/project/src" "$dest/project/target/lib"
cp -R "$here/src" "$dest/project/src"
log="$dest/build.log"
mvn -B -Dstyle.color=never -f "$dest/project/pom.xml" -Dmaven.repo.local="$build/m2" \
    -Dmsal4j.version="$version" -DskipTests package >"$log" 2>&1 \
    || { grep -E '^\[ERROR\]' "$log" | head -15 >&2; fail "mvn package with msal4j $version failed (above; full log $log)"; }
driver="$dest/project/target/java-driver.jar"
if [[ -n "$jar" ]]; then
    cp "$jar" "$dest/project/target/lib/msal4j-$version.jar"
fi
got="$(echo '{"id":1,"cmd":"hello"}' | java -jar "$driver" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
[[ -n "$got" ]] || fail "the driver did not answer hello"
if [[ "$kind" == version && "$got" != "$what" ]]; then
    fail "the driver loaded msal4j $got, $what was asked for"
fi
echo "$kind $what" >"$dest/.installed"
echo "ports/java: msal4j $got driver built at $driver"
