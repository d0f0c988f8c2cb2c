#!/usr/bin/env bash
# Builds the bench module (and what it needs) and runs every comparison; writes bench/results/RESULTS.md,
# profile-data.md and the PNG charts. Usage: bench/run.sh [--quick] [--no-profile] [--only suites]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! mvn -q -o -pl bench -am package -DskipTests; then
  echo "offline build failed; retrying online (downloads missing dependencies)" >&2
  mvn -q -pl bench -am package -DskipTests
fi
exec java -Djava.awt.headless=true -jar bench/target/hopseal-bench.jar --out bench/results "$@"
