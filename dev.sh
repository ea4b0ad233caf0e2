#!/usr/bin/env bash
# Sets up everything matd needs on Debian / Raspberry Pi OS, then runs the demo or the tests.
#   ./dev.sh demo [matd demo flags]   the daemon on the built-in simulated mat
#   ./dev.sh test [pytest flags]      lint, type checks and the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_need+=(python3-venv)
[ -f "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] \
  || apt_need+=(python3-dev)
# gcc only recommends the C library's headers; the kernels need both.
echo '#include <stdio.h>' | gcc -E -x c - >/dev/null 2>&1 || apt_need+=(gcc libc6-dev)
if [ "${1:-}" = "test" ]; then
  # Debian's mosquitto package holds the broker (in /usr/sbin, off a user's PATH) and
  # mosquitto_passwd, with which the tests give the broker its users.
  if ! [ -x /usr/sbin/mosquitto ] && ! command -v mosquitto >/dev/null \
    || ! command -v mosquitto_passwd >/dev/null; then
    apt_need+=(mosquitto)
  fi
  command -v openssl >/dev/null || apt_need+=(openssl)
fi
if [ ${#apt_need[@]} -gt 0 ]; then
  echo "dev.sh: installing ${apt_need[*]} from Debian" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_need[@]}" >/dev/null
fi

# The venv is rebuilt only when what it is built from changes.
stamp=$(cat pyproject.toml setup.py ext/*.pyx | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ "$(cat .venv/.matd-stamp 2>/dev/null)" != "$stamp" ] || ! .venv/bin/python -c 'import matd._wire, matd._kernels' 2>/dev/null; then
  echo "dev.sh: installing matd and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$stamp" > .venv/.matd-stamp
fi
export PATH="$PWD/.venv/bin:$PATH"

cmd=${1:-}
shift || true
case "$cmd" in
  demo) exec matd demo "$@" ;;
  test)
    ruff check matd tests
    mypy
    exec python -m pytest "$@" ;;
  *) echo "usage: ./dev.sh demo|test [args]" >&2; exit 2 ;;
esac
