#!/usr/bin/env bash
# `make demo [ENV=<inventory>]`: ansible-playbook site.yml on the chosen inventory (default: local).
# The local inventory pulls container images (apache/kafka, grafana/grafana, singlestoredb-dev);
# where no registry can be reached, the same site.yml runs on the offline lab instead, and the
# dashboard's panels are printed as text at the end.
set -euo pipefail
env_name=${1:-local}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -d "inventories/$env_name" ] || { echo "demo: error: no inventory inventories/$env_name (have: $(ls inventories | tr '\n' ' '))" >&2; exit 2; }

registry_reachable() {
  # Any HTTP answer (even 401) means the registry is reachable; a DNS or connect failure does not.
  local url
  for url in https://registry-1.docker.io/v2/ https://ghcr.io/v2/; do
    curl -s -o /dev/null --max-time 5 "$url" || return 1
  done
}

if [ "$env_name" = local ] && ! registry_reachable; then
  echo "demo: this machine cannot pull container images (Docker Hub and ghcr.io are unreachable),"
  echo "demo: so it runs the same site.yml on the offline lab inventory instead."
  env_name=lab
fi

if [ "$env_name" = lab ]; then
  cat <<'MSG'
demo: the lab runs on 127.0.0.1. Real: Apache Kafka 4.1.1 (KRaft), MariaDB, the Docker engine and
demo: a systemd container standing in for the stack host (the producer service runs there).
demo: Not real: SingleStore is the test double (tests/lab/double: MariaDB underneath, pipelines
demo: imitated by its own Kafka consumers); Grafana is not run (no image): its panels are printed.
MSG
  BOOTSTRAP_DOCKER=1 scripts/bootstrap.sh >/dev/null
  .venv/bin/python -m tests.lab start mariadb double kafka docker stack_host
fi

ansible-playbook site.yml -i "inventories/$env_name"

if [ "$env_name" = lab ]; then
  sleep 2  # let the producer's first messages arrive
  .venv/bin/python scripts/show_panels.py
fi
