#!/usr/bin/env bash
# Install what `symdex bench` compares against (ripgrep, universal-ctags) and, for profiling, perf.
# The corpora themselves are prepared by corpora.sh (see docs/performance.md).
set -euo pipefail
missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v ctags >/dev/null || missing+=(universal-ctags)
if [[ ${1:-} == --profile ]]; then
  command -v perf >/dev/null || missing+=(linux-perf)
fi
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
rg --version | head -1
ctags --version | head -1
