// How the extension finds the server (src/server.ts): setting, then PATH, then the bundled binary.
//
//   node --test editors/vscode/test/find-server.test.mjs

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'symdex-find-server-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// src/server.ts uses no VS Code API: bundle it and load it as is.
esbuild.buildSync({
  entryPoints: [path.join(here, '..', 'src', 'server.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: path.join(tmp, 'server.js'),
  logLevel: 'warning',
});
const { findServer } = createRequire(import.meta.url)(path.join(tmp, 'server.js'));

function executable(rel) {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, 0o755);
  return file;
}

const onPath = executable('bin/symdex');
const bundled = executable('extension/server/symdex');
const inWorkspace = executable('workspace/tools/symdex');
fs.writeFileSync(path.join(tmp, 'bin/not-executable'), '');
fs.mkdirSync(path.join(tmp, 'empty-extension'));

const base = {
  configured: '',
  workspaceFolder: path.join(tmp, 'workspace'),
  extensionPath: path.join(tmp, 'extension'),
  envPath: ['/nonexistent', path.join(tmp, 'bin')].join(path.delimiter),
};

test('the setting wins, absolute or relative to the workspace folder', () => {
  assert.deepEqual(findServer({ ...base, configured: bundled }), { found: true, path: bundled, source: 'setting' });
  assert.deepEqual(findServer({ ...base, configured: 'tools/symdex' }), { found: true, path: inWorkspace, source: 'setting' });
  assert.deepEqual(findServer({ ...base, configured: '${workspaceFolder}/tools/symdex' }), {
    found: true,
    path: inWorkspace,
    source: 'setting',
  });
});

test('a setting naming no executable is an error, not a fallback', () => {
  for (const configured of [path.join(tmp, 'missing'), path.join(tmp, 'bin/not-executable'), path.join(tmp, 'bin')]) {
    const r = findServer({ ...base, configured });
    assert.equal(r.found, false);
    assert.match(r.message, /symdex\.server\.path/);
  }
});

test('then symdex on PATH, then the bundled binary', () => {
  assert.deepEqual(findServer(base), { found: true, path: onPath, source: 'PATH' });
  assert.deepEqual(findServer({ ...base, envPath: '' }), { found: true, path: bundled, source: 'bundled' });
});

test('nothing found: the message says how to fix it', () => {
  const r = findServer({ ...base, envPath: undefined, extensionPath: path.join(tmp, 'empty-extension') });
  assert.equal(r.found, false);
  assert.match(r.message, /cargo install/);
  assert.match(r.message, /symdex\.server\.path/);
});
