// Finding the `symdex` binary: the `symdex.server.path` setting, else `symdex` on PATH, else the
// binary bundled in the extension (`server/symdex`). No VS Code API here, so the order is plain.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type ServerSource = 'setting' | 'PATH' | 'bundled';

export type ServerLookup =
  | { found: true; path: string; source: ServerSource }
  | { found: false; message: string };

export interface LookupInput {
  /** The `symdex.server.path` setting ('' when unset). */
  configured: string;
  /** Where relative `symdex.server.path` values are resolved (the first workspace folder). */
  workspaceFolder: string | undefined;
  /** The extension's install directory. */
  extensionPath: string;
  /** The PATH to search. */
  envPath: string | undefined;
}

const EXE = process.platform === 'win32' ? 'symdex.exe' : 'symdex';

export const INSTALL_HINT =
  'Install it with `cargo install --path .` in a symdex checkout (or put `symdex` on PATH), ' +
  'or set `symdex.server.path` to the binary.';

export function findServer(input: LookupInput): ServerLookup {
  const configured = input.configured.trim();
  if (configured !== '') {
    const resolved = resolveConfigured(configured, input.workspaceFolder);
    if (isExecutableFile(resolved)) {
      return { found: true, path: resolved, source: 'setting' };
    }
    return {
      found: false,
      message: `symdex: \`symdex.server.path\` is "${configured}", but there is no executable file at ${resolved}. ` +
        'Fix the setting, or clear it to use `symdex` from PATH.',
    };
  }
  for (const dir of (input.envPath ?? '').split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, EXE);
    if (isExecutableFile(candidate)) {
      return { found: true, path: candidate, source: 'PATH' };
    }
  }
  const bundled = path.join(input.extensionPath, 'server', EXE);
  if (isExecutableFile(bundled)) {
    return { found: true, path: bundled, source: 'bundled' };
  }
  return {
    found: false,
    message: 'symdex: the language server binary was not found (`symdex.server.path` is empty, `symdex` is not ' +
      `on PATH, and this extension bundles no server). ${INSTALL_HINT}`,
  };
}

function resolveConfigured(configured: string, workspaceFolder: string | undefined): string {
  let p = configured;
  if (p === '~' || p.startsWith('~/')) {
    p = path.join(os.homedir(), p.slice(1));
  }
  if (workspaceFolder !== undefined) {
    p = p.replace('${workspaceFolder}', workspaceFolder);
    if (!path.isAbsolute(p)) {
      p = path.join(workspaceFolder, p);
    }
  }
  return path.resolve(p);
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) {
      return false;
    }
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
