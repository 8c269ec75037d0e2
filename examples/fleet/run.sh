#!/usr/bin/env bash
# A fleet on one machine: three replicas of the axum_service example behind one spec, a
# Prometheus scraping them (with the rules `sloguard rules` writes), traffic in which the third
# replica fails every request, and `sloguard serve` on top at http://127.0.0.1:9300 (/slo,
# /status, /slo.json). Needs `prometheus` and `curl`. Stops after FLEET_SECONDS (default 300)
# or Ctrl-C, and removes everything it started.
#
# Ports: replicas 3101-3103, Prometheus 9090, serve 9300; override with FLEET_REPLICA_PORTS
# ("3101 3102 3103"), FLEET_PROMETHEUS_PORT and FLEET_SERVE_PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
replica_ports=(${FLEET_REPLICA_PORTS:-3101 3102 3103})
prometheus_port=${FLEET_PROMETHEUS_PORT:-9090}
serve_port=${FLEET_SERVE_PORT:-9300}
seconds=${FLEET_SECONDS:-300}
for program in prometheus curl; do
    command -v "$program" >/dev/null || { echo "examples/fleet/run.sh needs $program" >&2; exit 1; }
done

cargo build -q -p sloguard-examples --example axum_service
cargo build -q -p sloguard-cli --bin sloguard
work=$(mktemp -d)
# Whatever ends the script (the time, Ctrl-C, SIGTERM) stops everything it started; serve
# stops on SIGTERM as a service manager would stop it.
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

targets=""
for port in "${replica_ports[@]}"; do
    SLOGUARD_ADDR=127.0.0.1:$port target/debug/examples/axum_service >/dev/null &
    targets+="'127.0.0.1:$port', "
done
target/debug/sloguard rules examples/specs/payments.yaml -o "$work/rules.yml"
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files: ['$work/rules.yml']
scrape_configs:
  - job_name: payments
    static_configs:
      - targets: [${targets%, }]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &

for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://127.0.0.1:$prometheus_port/-/ready" && break
    sleep 0.5
done

# Traffic: a request to each replica every 200 ms; the third one always answers 500.
(
    paths=(/pay /refund "/pay?status=500")
    for _ in $(seq 1 $((seconds * 5))); do
        for i in 0 1 2; do
            curl -s -o /dev/null "http://127.0.0.1:${replica_ports[$i]}${paths[$i]}" || true
        done
        sleep 0.2
    done
) &

echo "fleet: replicas on ${replica_ports[*]}, Prometheus on 127.0.0.1:$prometheus_port"
echo "fleet: serve on http://127.0.0.1:$serve_port/slo (and /status, /slo.json) for ${seconds}s"
target/debug/sloguard serve --spec examples/specs/payments.yaml \
    --source "http://127.0.0.1:$prometheus_port" --listen "127.0.0.1:$serve_port" \
    --step 10s --delay 10s &
# Waiting with `wait`, a signal's trap runs at once (not after a foreground command ends).
sleep "$seconds" &
wait -n
