#!/usr/bin/env bash
# The test command: installs the pinned port drivers, runs every Rust test
# (unit, integration, the Gherkin features against the reference client) and
# then the conformance matrix against every real port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export FIC_REQUIRE_PORTS="${FIC_REQUIRE_PORTS:-1}"
bash ports/install.sh
cargo test --workspace
cargo run --quiet -- run --port all
cargo run --quiet -- explore --port all --seed 1 --cases 20 --max-steps 6
# The authority-with-port findings exist only against the mock's own
# localhost listener; run them there so they stay checked.
cargo run --quiet -- run --port all --authority localhost --tags @authority-with-port
