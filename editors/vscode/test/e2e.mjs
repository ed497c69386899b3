#!/usr/bin/env node
// Real-editor test: packages the extension, installs the .vsix into code-server (VS Code in a
// browser), opens a small Python + Rust workspace in headless Chromium driven by Playwright, and
// uses symdex the way a person does: Ctrl+T, F12, typing, the command palette.
//
//   node editors/vscode/test/e2e.mjs            (after `bash editors/install-test-deps.sh` and `cargo build`)
//
// Environment: SYMDEX_BIN (default target/debug/symdex), CODE_SERVER, CHROMIUM, SYMDEX_EDITOR_DEPS,
// SYMDEX_VSIX (skip packaging), SYMDEX_E2E_ARTIFACTS (failure screenshots and logs),
// SYMDEX_E2E_SCREENSHOT (also take the README's screenshot, to that file).
//
// Nothing sleeps: every wait is Playwright's auto-waiting or a process event, with a timeout.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, '..');
const repo = path.resolve(extensionDir, '..', '..');
const deps = process.env.SYMDEX_EDITOR_DEPS ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'symdex-editors');

const SYMDEX_BIN = path.resolve(process.env.SYMDEX_BIN ?? path.join(repo, 'target', 'debug', 'symdex'));
const CODE_SERVER = process.env.CODE_SERVER ?? path.join(deps, 'code-server', 'node_modules', '.bin', 'code-server');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(process.env.SYMDEX_E2E_ARTIFACTS ?? path.join(here, 'artifacts'));

/** How long one wait may take: the first workbench load on a busy 2-core machine is slow. */
const WAIT = 60_000;

const SERVER_PY = `import socketserver
from helpers import format_date


class ThreadingHTTPServer(socketserver.ThreadingMixIn):
    daemon_threads = True

    def serve_forever(self):
        return format_date(self)


def handle(request):
    server = ThreadingHTTPServer()
    return server.serve_forever()
`;

const HELPERS_PY = `def format_date(value):
    return str(value)


def handle_error(err):
    return err
`;

const LIB_RS = `pub struct Config {
    pub name: String,
}

impl Config {
    pub fn load() -> Config {
        Config { name: parse_name() }
    }
}

fn parse_name() -> String {
    String::new()
}
`;

/** Everything the steps share; torn down in `after`. */
const env = {
  tmp: '',
  workspace: '',
  codeServer: /** @type {import('node:child_process').ChildProcess | undefined} */ (undefined),
  codeServerLog: '',
  browser: /** @type {import('playwright-core').Browser | undefined} */ (undefined),
  page: /** @type {import('playwright-core').Page | undefined} */ (undefined),
  failed: false,
};

before(async () => {
  try {
    await setUp();
  } catch (e) {
    env.failed = true;
    throw e;
  }
});

async function setUp() {
  for (const [what, file] of [['SYMDEX_BIN', SYMDEX_BIN], ['CODE_SERVER', CODE_SERVER], ['CHROMIUM', CHROMIUM]]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${what}: ${file} does not exist. Run \`cargo build\` and \`bash editors/install-test-deps.sh\`.`);
    }
  }
  env.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'symdex-vscode-e2e-'));
  env.workspace = path.join(env.tmp, 'workspace');
  writeFiles(env.workspace, {
    'app/server.py': SERVER_PY,
    'app/helpers.py': HELPERS_PY,
    'rust/src/lib.rs': LIB_RS,
  });
  const userData = path.join(env.tmp, 'user-data');
  const extensions = path.join(env.tmp, 'extensions');
  writeFiles(userData, {
    'User/settings.json': JSON.stringify(userSettings(path.join(env.tmp, 'cache')), null, 2),
  });
  const config = path.join(env.tmp, 'code-server.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');

  const vsix = process.env.SYMDEX_VSIX ?? (await packageExtension(path.join(env.tmp, 'symdex.vsix')));
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  await run(CODE_SERVER, [...common, '--install-extension', vsix], 'code-server --install-extension', env.tmp, codeServerEnv());

  env.codeServerLog = path.join(env.tmp, 'code-server.log');
  const port = await startCodeServer([
    ...common,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    env.workspace,
  ]);

  env.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
    timeout: WAIT,
  });
  // A fresh context is a fresh profile (Playwright gives the browser its own --user-data-dir).
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  env.page = await context.newPage();
  env.page.setDefaultTimeout(WAIT);
  await env.page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(env.workspace)}`);
  await env.page.locator('.monaco-workbench').waitFor();
}

after(async () => {
  await env.browser?.close();
  await stopCodeServer();
  if (env.failed) {
    copyLogs();
    console.log(`# kept ${env.tmp} for inspection; artifacts in ${ARTIFACTS}`);
  } else if (env.tmp !== '') {
    fs.rmSync(env.tmp, { recursive: true, force: true });
  }
});

step('the extension starts symdex and shows the symbol count after indexing', async (page) => {
  // The status bar item goes from progress (`$/progress`) to the count (`symdex.status`).
  await statusBar(page).getByText(/symdex: [\d,]+ symbols/).waitFor();
});

step('Ctrl+T lists workspace symbols from Python and Rust files', async (page) => {
  const rows = await workspaceSymbols(page, 'serve', 'serve_forever');
  assert.ok(rows.some((r) => r.includes('serve_forever') && r.includes('server.py')), rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('ThreadingHTTPServer')), rows.join('\n'));
  await page.keyboard.press('Escape');

  const rust = await workspaceSymbols(page, 'parse_name', 'parse_name');
  assert.ok(rust.some((r) => r.includes('parse_name') && r.includes('lib.rs')), rust.join('\n'));
  // Choosing a row opens the file at the symbol.
  await choose(page, 'parse_name');
  await activeEditor(page, 'lib.rs', 11);
});

step('F12 on a usage goes to the definition in another file', async (page) => {
  await quickOpen(page, 'server.py');
  await activeEditor(page, 'server.py');
  // `return format_date(self)`: line 9, the name starts at column 16.
  await goToLine(page, 9, 16);
  await page.keyboard.press('F12');
  await activeEditor(page, 'helpers.py', 1);
});

step('a symbol typed into an unsaved buffer shows up in Ctrl+T', async (page) => {
  await activeEditor(page, 'helpers.py');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('def freshly_added_helper(): pass\n');
  // Unsaved: the symbol can only come from the edits VS Code sent (textDocument/didChange).
  await page.locator('.tab.active.dirty').waitFor();
  assert.ok(!fs.readFileSync(path.join(env.workspace, 'app/helpers.py'), 'utf8').includes('freshly_added'));
  const rows = await workspaceSymbols(page, 'freshly_added', 'freshly_added_helper');
  assert.ok(rows.some((r) => r.includes('helpers.py')), rows.join('\n'));
  await choose(page, 'freshly_added_helper');
  await activeEditor(page, 'helpers.py', 7);
});

step(
  'README screenshot: Ctrl+T over an open file',
  async (page) => {
    await quickOpen(page, 'server.py');
    await activeEditor(page, 'server.py');
    await workspaceSymbols(page, 'se', 'serve_forever');
    await page.screenshot({ path: process.env.SYMDEX_E2E_SCREENSHOT });
    await page.keyboard.press('Escape');
  },
  { skip: !process.env.SYMDEX_E2E_SCREENSHOT && 'set SYMDEX_E2E_SCREENSHOT=<file.png> to take it' },
);

step('the commands reindex the workspace and show the index status', async (page) => {
  await runCommand(page, 'symdex: Reindex Workspace');
  await notification(page, /symdex: reindexed 3 files, [\d,]+ symbols/).waitFor();
  await runCommand(page, 'symdex: Show Index Status');
  await notification(page, /symdex: [\d,]+ symbols in 3 files, \d+ open documents?/).waitFor();
});

/** A test whose failure saves a screenshot of the editor. */
function step(name, fn, options = {}) {
  test(name, { timeout: 4 * WAIT, ...options }, async (t) => {
    assert.ok(env.page, 'the editor did not load');
    if (env.failed) {
      t.skip('an earlier step failed'); // each step builds on the ones before
      return;
    }
    try {
      await fn(env.page);
    } catch (e) {
      env.failed = true;
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name.replace(/[^\w]+/g, '-').slice(0, 60)}.png`);
      await env.page.screenshot({ path: file }).catch(() => {});
      console.log(`# screenshot: ${file}`);
      throw e;
    }
  });
}

function statusBar(page) {
  return page.locator('#workbench\\.parts\\.statusbar');
}

/** Runs "Go to Symbol in Workspace" with `query`, waits for `expected`, returns the rows' text. */
async function workspaceSymbols(page, query, expected) {
  await page.keyboard.press('Control+T');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`#${query}`);
  const list = page.locator('.quick-input-widget .quick-input-list');
  await list.locator('.monaco-list-row', { hasText: expected }).first().waitFor();
  // Each row as "label — description", e.g. "serve_forever — ThreadingHTTPServer • app/server.py".
  const rows = await list.locator('.monaco-list-row').evaluateAll((els) =>
    els.map((e) => {
      const text = (selector) => e.querySelector(selector)?.textContent?.trim() ?? '';
      return `${text('.label-name')} — ${text('.label-description')}`;
    }),
  );
  return rows;
}

/** Chooses the open picker's first row that shows `text` (a click: the list may still reorder). */
async function choose(page, text) {
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first().click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Runs a command from the command palette (F1) by its title. */
async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await choose(page, title);
}

function notification(page, text) {
  return page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
}

/** Opens a file with Ctrl+P. */
async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await choose(page, name);
}

/** Moves the cursor with Go to Line (Ctrl+G), once the picker shows it understood `line:column`. */
async function goToLine(page, line, column) {
  await page.keyboard.press('Control+G');
  // The picker opens holding its prefix ":"; text filled in before that would be replaced.
  await page.waitForFunction(() => document.querySelector('.quick-input-widget input')?.value === ':');
  await page.locator('.quick-input-widget input').fill(`:${line}:${column}`);
  // Enter before the picker has read the input would accept nothing.
  const row = `Go to line ${line} and character ${column}.`;
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: row }).waitFor();
  await page.keyboard.press('Enter');
  await statusBar(page).getByText(`Ln ${line}, Col ${column}`).waitFor();
}

/** Waits until the focused editor shows `file` (and, when given, has the cursor on `line`). */
async function activeEditor(page, file, line) {
  await page.locator(`.tab.active[data-resource-name="${file}"]`).waitFor();
  if (line !== undefined) {
    await statusBar(page).getByText(new RegExp(`^Ln ${line}, Col \\d+`)).waitFor();
  }
}

function userSettings(cacheDir) {
  return {
    'symdex.server.path': SYMDEX_BIN,
    'symdex.cacheDir': cacheDir,
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'chat.commandCenter.enabled': false,
    // Typed text lands exactly as typed.
    'editor.quickSuggestions': { other: false, comments: false, strings: false },
    'editor.suggestOnTriggerCharacters': false,
    'editor.autoClosingBrackets': 'never',
    'editor.autoIndent': 'none',
    'files.autoSave': 'off',
    'files.hotExit': 'off',
  };
}

function writeFiles(root, files) {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

/** Builds the .vsix the way a release does (`npm run package`: type-check, bundle, `vsce package`). */
async function packageExtension(out) {
  await run('npm', ['run', '--silent', 'package'], 'npm run package', extensionDir);
  fs.copyFileSync(path.join(extensionDir, 'symdex.vsix'), out);
  return out;
}

/** code-server's environment: XDG directories of its own (it keeps a heartbeat and logs there). */
function codeServerEnv() {
  return { ...process.env, XDG_DATA_HOME: path.join(env.tmp, 'xdg-data'), XDG_CONFIG_HOME: path.join(env.tmp, 'xdg-config') };
}

async function run(cmd, args, what, cwd = env.tmp, childEnv = process.env) {
  const child = spawn(cmd, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const [code] = await withTimeout(once(child, 'exit'), 5 * WAIT, what);
  if (code !== 0) {
    throw new Error(`${what} exited with ${code}:\n${output}`);
  }
}

/** Starts code-server in its own process group; resolves with the port it listens on. */
async function startCodeServer(args) {
  const log = fs.openSync(env.codeServerLog, 'w');
  const child = spawn(CODE_SERVER, args, {
    cwd: env.tmp,
    env: codeServerEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  env.codeServer = child;
  const port = new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d) => {
      fs.writeSync(log, d);
      seen += d;
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) {
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`code-server exited with ${code} before listening; log: ${env.codeServerLog}`)));
  });
  return withTimeout(port, WAIT, 'code-server to listen');
}

// Interrupted (Ctrl+C, a CI timeout): stop code-server's process group before exiting, since it
// is in a session of its own and would outlive us.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killCodeServer('SIGKILL');
    process.exit(1);
  });
}
process.once('exit', () => killCodeServer('SIGKILL'));

function killCodeServer(signal) {
  const child = env.codeServer;
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops code-server and everything it started (the extension host, symdex) by process group. */
async function stopCodeServer() {
  const child = env.codeServer;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = once(child, 'exit');
  killCodeServer('SIGTERM');
  try {
    await withTimeout(exited, 10_000, 'code-server to stop');
  } catch {
    killCodeServer('SIGKILL');
    await exited;
  }
}

function copyLogs() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (env.codeServerLog !== '' && fs.existsSync(env.codeServerLog)) {
    fs.copyFileSync(env.codeServerLog, path.join(ARTIFACTS, 'code-server.log'));
  }
  // The extension's output channel ("symdex": client messages and the server's stderr).
  const logs = path.join(env.tmp, 'user-data', 'logs');
  for (const file of fs.existsSync(logs) ? fs.readdirSync(logs, { recursive: true }) : []) {
    if (String(file).includes('symdex')) {
      fs.copyFileSync(path.join(logs, String(file)), path.join(ARTIFACTS, path.basename(String(file))));
    }
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
