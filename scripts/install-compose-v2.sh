#!/usr/bin/env bash
# Install Docker Compose v2 (the `docker compose` CLI plugin) on Debian 12 bookworm.
#
# Bookworm only packages Compose v1 (1.29). Trixie's `docker-compose` package is Compose v2 and
# installs on bookworm as it is (it needs only libc6 >= 2.34). It is fetched with a private apt
# state dir whose only source is trixie: trixie is never added to /etc/apt, because a plain
# install from there would pull trixie's docker-cli and remove bookworm's docker.io.
#
# Idempotent: does nothing when `docker compose version` already reports >= 2.18 for every
# docker CLI found. The .deb is cached in ${TST_CACHE:-$HOME/.cache/transactions_st}/debs.
#
# Environment: TST_CACHE (cache root), LAB_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

readonly min_version=2.18
readonly cache_root=${TST_CACHE:-$HOME/.cache/transactions_st}
readonly deb_dir=$cache_root/debs
readonly mirror=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly keyring=/usr/share/keyrings/debian-archive-keyring.gpg

say() { printf 'install-compose-v2: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# /usr/local/bin/docker (Docker 28) shadows Debian's /usr/bin/docker (20.10) on PATH on the lab
# machines; either may run `docker compose`, so the plugin must answer for both.
docker_clis() {
    local seen="" cli
    for cli in "$(command -v docker 2>/dev/null || true)" /usr/bin/docker; do
        [[ -n $cli && -x $cli ]] || continue
        cli=$(readlink -f "$cli")
        [[ " $seen " == *" $cli "* ]] && continue
        seen="$seen $cli"
        printf '%s\n' "$cli"
    done
}

# Prints the plugin version if `CLI compose version` answers with >= min_version.
compose_ok() {
    local version
    version=$("$1" compose version --short 2>/dev/null) || return 1
    version=${version#v}
    dpkg --compare-versions "$version" ge "$min_version" || return 1
    printf '%s\n' "$version"
}

all_clis_ok() {
    local cli clis
    clis=$(docker_clis)
    [[ -n $clis ]] || die "no docker CLI found: apt-get install docker.io"
    while read -r cli; do
        compose_ok "$cli" >/dev/null || return 1
    done <<<"$clis"
}

report() {
    local cli
    while read -r cli; do
        say "$cli compose version: $(compose_ok "$cli")"
    done < <(docker_clis)
}

if all_clis_ok; then
    say "Compose v2 already installed"
    report
    exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs a package)"

arch=$(dpkg --print-architecture)
# A cache entry counts only with its .complete marker; anything else is half-written.
cached_deb() {
    local deb
    for deb in "$deb_dir"/docker-compose_*_"$arch".deb; do
        [[ -f $deb && -f $deb.complete ]] && { printf '%s\n' "$deb"; return 0; }
    done
    return 1
}

if ! deb=$(cached_deb); then
    mkdir -p "$deb_dir"
    rm -f "$deb_dir"/docker-compose_*.deb "$deb_dir"/docker-compose_*.deb.complete "$deb_dir"/.*.part
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/sources.list.d" "$work/preferences.d" "$work/lists/partial" \
             "$work/cache/archives/partial" "$work/download"
    # apt downloads as the unprivileged _apt user: it must be able to write there.
    chmod 755 "$work"
    if id _apt >/dev/null 2>&1; then
        chown -R _apt "$work/lists" "$work/cache" "$work/download"
    fi
    cat >"$work/sources.list.d/trixie.sources" <<EOF
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: $keyring
EOF
    # Every apt path that names sources, pins or state points into $work: the system's apt
    # configuration and package lists are not touched.
    apt_private=(
        -o Dir::Etc::SourceList=/dev/null
        -o Dir::Etc::SourceParts="$work/sources.list.d"
        -o Dir::Etc::PreferencesParts="$work/preferences.d"
        -o Dir::Etc::Preferences=/dev/null
        -o Dir::State::Lists="$work/lists"
        -o Dir::Cache="$work/cache"
        -o APT::Architecture="$arch"
    )
    say "fetching trixie's docker-compose .deb from $mirror"
    apt-get "${apt_private[@]}" -qq update
    (cd "$work/download" && apt-get "${apt_private[@]}" -qq download docker-compose)
    fetched=$(ls "$work"/download/docker-compose_*.deb)
    name=$(basename "$fetched")
    cp "$fetched" "$deb_dir/.$name.part"
    mv "$deb_dir/.$name.part" "$deb_dir/$name"
    touch "$deb_dir/$name.complete"   # written last
    deb=$deb_dir/$name
fi

say "installing $deb"
# --no-install-recommends: the package recommends trixie's docker CLI, which would replace docker.io.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null

all_clis_ok || { report || true; die "docker compose version still fails or is < $min_version after installing $deb"; }
report
