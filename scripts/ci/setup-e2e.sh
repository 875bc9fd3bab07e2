#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline except for npm and apt:
# Debian's chromium, ripgrep and libkrb5-dev; code-server (VS Code 1.100.3) and playwright-core.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/.e2e/tools"
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1

need_apt=()
for p in chromium ripgrep libkrb5-dev; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup-e2e: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/node_modules/.bin/code-server" ] || [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
  echo "setup-e2e: npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION"
  # code-server's postinstall fetches ripgrep from GitHub unless it finds a cached archive:
  # give it Debian's rg under the name @vscode/ripgrep looks for.
  export TMPDIR="${TMPDIR:-/tmp}"
  for v in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14; do
    d="$TMPDIR/vscode-ripgrep-cache-$v"
    mkdir -p "$d"
    tmp=$(mktemp -d); cp /usr/bin/rg "$tmp/rg"
    for arch in ripgrep-v13.0.0-10-x86_64-unknown-linux-musl ripgrep-v13.0.0-13-x86_64-unknown-linux-musl ripgrep-v14.1.1-1-x86_64-unknown-linux-musl; do
      [ -f "$d/$arch.tar.gz" ] || tar -czf "$d/$arch.tar.gz" -C "$tmp" rg
    done
    rm -rf "$tmp"
  done
  # npm 11 runs no dependency install scripts unless package.json's allowScripts names them.
  cat > "$TOOLS/package.json" <<JSON
{
  "name": "induction-lens-e2e-tools",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true, "@vscode/ripgrep": true, "node-pty": true,
    "kerberos": true, "@parcel/watcher": true, "@vscode/spdlog": true, "@vscode/sqlite3": true,
    "native-watchdog": true, "@vscode/native-watchdog": true, "@vscode/deviceid": true, "@vscode/policy-watcher": true }
}
JSON
  (cd "$TOOLS" && npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm \
    "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" >"$TOOLS/install.log" 2>&1 || { tail -30 "$TOOLS/install.log"; exit 1; })
fi
CS="$TOOLS/node_modules/code-server"
rg_bin=$(find "$CS" -path '*@vscode/ripgrep/bin/rg' | head -1)
pty=$(find "$CS" -name pty.node | head -1)
if [ -z "$rg_bin" ] || [ -z "$pty" ]; then
  echo "setup-e2e: code-server is incomplete (rg: ${rg_bin:-missing}, pty.node: ${pty:-missing}); see $TOOLS/install.log" >&2
  exit 1
fi
echo "setup-e2e: ready (code-server $CODE_SERVER_VERSION, chromium $(chromium --version 2>/dev/null | awk '{print $2}'))"
