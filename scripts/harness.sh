#!/usr/bin/env bash
# Builds fic-harness (release) and runs it with the given arguments, after
# installing the pinned port drivers when the subcommand needs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ "${1:-}" == run ]]; then
    bash ports/install.sh
fi
cargo build --release --quiet --bin fic-harness
exec target/release/fic-harness "$@"
