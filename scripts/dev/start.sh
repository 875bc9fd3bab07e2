#!/usr/bin/env bash
# Builds and packages the extension, then starts VS Code (code-server on 127.0.0.1, no auth, a
# fresh profile) with the extension installed and the sample workspace open. Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
node scripts/build/package.mjs
exec node scripts/dev/serve.mjs "$@"
