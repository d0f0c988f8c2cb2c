#!/usr/bin/env bash
# Builds the bench module (and what it needs) and runs every comparison; writes bench/results/RESULTS.md,
# profile-data.md and the PNG charts. Usage: bench/run.sh [--quick] [--no-profile] [--only suites] | bench/run.sh --only mqtt
set -euo pipefail
cd "$(dirname "$0")/.."
if ! mvn -q -o -pl bench -am package -DskipTests; then
  echo "offline build failed; retrying online (downloads missing dependencies)" >&2
  mvn -q -pl bench -am package -DskipTests
fi
if [ "${1:-}" = "--only" ] && [ "${2:-}" = "mqtt" ]; then
  # issue 17's MQTT benchmarks, own commands like AttackProbe: they write mqtt-data.md and mqtt-scale-data.md,
  # which Report folds into RESULTS.md (section 7) on the next full run
  java -cp bench/target/hopseal-bench.jar io.hopseal.bench.MqttProbe 8 1000 2000 bench/results
  exec java -cp bench/target/hopseal-bench.jar io.hopseal.bench.MqttScaleProbe 1000,10000 4,8 20 bench/results
fi
exec java -Djava.awt.headless=true -jar bench/target/hopseal-bench.jar --out bench/results "$@"
