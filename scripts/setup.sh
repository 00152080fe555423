#!/usr/bin/env bash
# Installs what Slipway needs to build, test and run its demo on Debian 12.
# Idempotent: only packages that are missing are installed. Needs root (or sudo).
#   scripts/setup.sh           what the build, the tests and the demo need
#   scripts/setup.sh --bench   also nginx-light, wrk and valgrind, for the comparisons in bench/
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang clang-format clang-tidy libclang-rt-14-dev
  # libraries (DESIGN.md, "Dependencies")
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libpq-dev libpg-query-dev libprotobuf-c-dev libsqlite3-dev libtomlplusplus-dev libcli11-dev
  libfmt-dev libspdlog-dev libzstd-dev libsodium-dev libexpected-dev libhowardhinnant-date-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # PostgreSQL server and client tools for the tests and the demo
  postgresql-15 postgresql-client-15
  # the IANA time zones of backup.timezone (/usr/share/zoneinfo)
  tzdata
  # the example application
  nodejs
  # slipway verify: the security tests configure nginx twice; bench/verify.sh compares with wrk
  nginx-light wrk openssl
)
if [ "${1:-}" = "--bench" ]; then packages+=(nginx-light wrk valgrind); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# npm: the machine may carry a Node.js build that bundles npm; install Debian's only when absent.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # postgresql-common would create and start a system cluster; the tests start their own.
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/slipway.conf >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
