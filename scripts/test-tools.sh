#!/usr/bin/env bash
# Tools the test suite drives besides RabbitMQ and Redis: tmux (the TUI test), Chromium (the docs site in
# headless Chromium) and docker-compose (docker-compose.yml is checked with `docker-compose config`).
# Installs whichever is missing from Debian's packages, saying so; `npm test` runs it first.
set -euo pipefail
missing=()
command -v tmux >/dev/null || missing+=(tmux)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "test-tools: installing ${missing[*]} from Debian's packages (the tests need them)"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "test-tools: could not install ${missing[*]}; install them (apt-get install ${missing[*]}) and run the tests again" >&2
  exit 1
fi
