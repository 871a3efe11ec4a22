#!/usr/bin/env bash
# `make demo`: ansible-playbook site.yml on the chosen inventory. On the offline `lab`
# inventory the lab services are started first.
set -euo pipefail
env_name=${1:-lab}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -d "inventories/$env_name" ] || { echo "demo: error: no inventory inventories/$env_name" >&2; exit 2; }
if [ "$env_name" = lab ]; then
  echo "demo: using the offline lab: Apache Kafka and MariaDB are real; SingleStore is the test double (tests/lab/double)."
  .venv/bin/python -m tests.lab start mariadb double kafka
fi
exec ansible-playbook site.yml -i "inventories/$env_name"
