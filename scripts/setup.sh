#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine with Node 20, from npm and
# apt only. Idempotent: fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip   # its postinstall would download CUDA libraries
export npm_config_yes=true

apt_pkgs=(python3-torch python3-numpy python3-regex python3-matplotlib python3-onnx libtcmalloc-minimal4 chromium ripgrep libkrb5-dev)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules/onnxruntime-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
bash scripts/ci/setup-e2e.sh
