#!/usr/bin/env bash
# Installs what `make demo` and `make test` need on a fresh Debian/Ubuntu machine, and caches it
# under $TST_CACHE so that the next run reuses it:
#   - system packages (apt), only those missing;
#   - a Python virtualenv with the pinned requirements (keyed by a hash of requirements/*.txt);
#   - the Ansible collections this project uses, unpacked from the PyPI `ansible` wheel
#     (Galaxy is not needed);
#   - Docker Compose v2 when the Docker engine is wanted (BOOTSTRAP_DOCKER=1).
# Every cache entry gets a `.complete` marker last; an entry without it is half-written and redone.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${TST_CACHE:-$HOME/.cache/transactions_st}
python=${PYTHON:-python3}
ansible_wheel_version=12.3.0
# Collections taken from the wheel: what the roles, playbooks and benchmarks use.
collections=(community/docker community/library_inventory_filtering_v1 amazon/aws ansible/posix community/mysql)

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 2; }

mkdir -p "$cache"

# --- system packages -------------------------------------------------------------------------
apt_wanted=()
command -v java >/dev/null || apt_wanted+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || apt_wanted+=(maven)
command -v mariadbd >/dev/null || apt_wanted+=(mariadb-server mariadb-client)
# The lab MariaDB loads its time zone tables from here (named zones in CONVERT_TZ, as on SingleStore).
[ -e /usr/share/zoneinfo/Europe/Paris ] || apt_wanted+=(tzdata)
command -v openssl >/dev/null || apt_wanted+=(openssl)
command -v unzip >/dev/null || apt_wanted+=(unzip)
command -v ss >/dev/null || apt_wanted+=(iproute2)
command -v kcat >/dev/null || apt_wanted+=(kcat)
if [ "${BOOTSTRAP_DOCKER:-0}" = 1 ]; then
  command -v dockerd >/dev/null || apt_wanted+=(docker.io)
  command -v debootstrap >/dev/null || apt_wanted+=(debootstrap)
  command -v iptables >/dev/null || apt_wanted+=(iptables)
fi
if [ ${#apt_wanted[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing system packages: ${apt_wanted[*]}; install them with: sudo apt-get install ${apt_wanted[*]}"
  fi
  say "installing system packages: ${apt_wanted[*]}"
  apt-get update -qq >/dev/null || die "apt-get update failed; check the Debian/Ubuntu archive is reachable"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_wanted[@]}" >/dev/null \
    || die "apt-get install ${apt_wanted[*]} failed"
fi

# --- Python virtualenv ---------------------------------------------------------------------------
"$python" - <<'PY' || die "Python 3.11-3.13 is needed (ansible-core 2.19); set PYTHON=/path/to/python3.x"
import sys
sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)
PY
req_hash=$(cat "$root"/requirements/*.txt | sha256sum | cut -c1-12)
venv="$cache/venv-$req_hash"
if [ ! -f "$venv/.complete" ]; then
  [ -d "$venv" ] && say "virtualenv $venv is half-written; rebuilding it" && rm -rf "$venv"
  say "creating virtualenv $venv"
  "$python" -m venv "$venv" || die "python -m venv failed (on Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q -r "$root/requirements/test.txt" || die "pip install -r requirements/test.txt failed"
  touch "$venv/.complete"
fi
ln -sfn "$venv" "$root/.venv"

# --- collections from the `ansible` wheel --------------------------------------------------------
coll="$cache/collections"
if [ "$(cat "$coll/.complete" 2>/dev/null)" != "ansible-$ansible_wheel_version ${collections[*]}" ]; then
  say "unpacking collections from ansible==$ansible_wheel_version: ${collections[*]}"
  rm -rf "$coll" "$coll.tmp"
  mkdir -p "$cache/wheels" "$coll.tmp"
  wheel="$cache/wheels/ansible-$ansible_wheel_version-py3-none-any.whl"
  if ! unzip -tq "$wheel" >/dev/null 2>&1; then
    rm -f "$wheel"
    "$venv/bin/pip" download -q --no-deps -d "$cache/wheels" "ansible==$ansible_wheel_version" \
      || die "could not download ansible==$ansible_wheel_version from PyPI"
  fi
  patterns=()
  for c in "${collections[@]}"; do patterns+=("ansible_collections/$c/*"); done
  unzip -q "$wheel" "${patterns[@]}" -d "$coll.tmp" || die "unzip of $wheel failed"
  echo "ansible-$ansible_wheel_version ${collections[*]}" > "$coll.tmp/.complete"
  mv "$coll.tmp" "$coll"
fi

# --- ansible-test's pip bootstrap, offline -------------------------------------------------------
# ansible-test downloads get-pip.py for its sanity venvs from a host outside the package
# registries; hand it an equivalent that installs pip from a wheel taken from PyPI.
at_pip=$(grep -ho "pip='[0-9.]*'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | cut -d"'" -f2)
if [ -n "$at_pip" ]; then
  get_pip="$HOME/.ansible/test/cache/get_pip_${at_pip//./_}.py"
  pip_wheel="$cache/wheels/pip-$at_pip-py3-none-any.whl"
  if [ ! -f "$pip_wheel" ]; then
    "$venv/bin/pip" download -q --no-deps -d "$cache/wheels" "pip==$at_pip" || die "could not download pip==$at_pip from PyPI"
  fi
  if ! grep -qF "$pip_wheel" "$get_pip" 2>/dev/null; then
    mkdir -p "$(dirname "$get_pip")"
    sed "s|@PIP_WHEEL@|$pip_wheel|" "$root/scripts/get_pip_offline.py" > "$get_pip.tmp" && mv "$get_pip.tmp" "$get_pip"
  fi
fi

# --- Docker Compose v2 (only when the Docker engine is wanted) -----------------------------------
if [ "${BOOTSTRAP_DOCKER:-0}" = 1 ]; then
  bash "$root/scripts/install-compose-v2.sh"
fi
say "ready: venv $venv, collections $coll"
