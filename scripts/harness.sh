#!/usr/bin/env bash
# Builds fic-harness (release) and runs it with the given arguments, after
# installing the pinned port drivers when the subcommand needs them. The
# first build compiles every dependency (a few minutes): cargo's progress is
# shown on stderr, so stdout stays the program's own (serve's ready line).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ "${1:-}" == run ]]; then
    echo "harness.sh: installing the pinned MSAL port drivers (ports/install.sh)" >&2
    bash ports/install.sh
fi
echo "harness.sh: building fic-harness (release)" >&2
cargo build --release --bin fic-harness
exec target/release/fic-harness "$@"
