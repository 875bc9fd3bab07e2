#!/usr/bin/env bash
# The whole test suite: type checks, engine unit tests, the training pipeline smoke run, and the
# real-VS-Code tests. Exits non-zero if any part fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh || exit 1
status=0
step() {
  echo "== $1"
  shift
  "$@" || { echo "== FAILED: $*"; status=1; }
}
step "type check" npx tsc -p tsconfig.json
step "type check (engine without DOM)" npx tsc -p tsconfig.engine.json
step "structure (layers, file sizes)" node scripts/ci/check-structure.mjs
step "lint" npx eslint src webview test
step "Python imports installed by setup" /usr/bin/python3 scripts/ci/check-python-deps.py
step "build" node scripts/build/build.mjs
step "build tests" node scripts/build/build.mjs --tests
step "package" node scripts/build/package.mjs
step "unit tests" node --test dist-test/unit/
step "training pipeline smoke test" bash training/smoke.sh
step "end-to-end tests in code-server" node test/e2e/harness.mjs
step "end-to-end tests with a Hugging Face model selected (tiny-qwen3: no BOS, q/k norms, YaRN)" env IL_E2E_MODEL=tiny-qwen3 node test/e2e/harness.mjs
exit $status
