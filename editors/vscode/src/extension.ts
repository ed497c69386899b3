// The symdex VS Code extension: starts `symdex lsp` through vscode-languageclient, passes the
// `symdex.*` settings as initializationOptions, and adds commands and a status bar item.
//
// The server itself registers `symdex.status` and `symdex.reindex` (workspace/executeCommand);
// vscode-languageclient turns those into VS Code commands of the same id, so ours have other ids.

import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from 'vscode-languageclient/node';

import languages from './languages.json';
import { findServer } from './server';
import { count, type IndexStatus, StatusItem } from './status';

const SECTION = 'symdex';
/** Settings of the extension itself; every other `symdex.*` setting is a server setting. */
const CLIENT_SETTINGS = ['server.', 'trace.'];

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: StatusItem;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('symdex');
  status = new StatusItem();
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand('symdex.restartServer', () => restart(context)),
    vscode.commands.registerCommand('symdex.reindexWorkspace', reindex),
    vscode.commands.registerCommand('symdex.showStatus', showStatus),
    vscode.commands.registerCommand('symdex.showServerLog', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // The client applies `symdex.trace.server` itself; every other setting needs a restart.
      const changed = settingIds(context).filter((id) => e.affectsConfiguration(id));
      if (changed.every((id) => id === `${SECTION}.trace.server`)) {
        return;
      }
      const choice = await vscode.window.showInformationMessage(
        'symdex settings changed; the server reads them when it starts.',
        'Restart Server',
      );
      if (choice === 'Restart Server') {
        await restart(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const server = findServer({
    configured: config.get<string>('server.path') ?? '',
    workspaceFolder: folder,
    extensionPath: context.extensionPath,
    envPath: process.env['PATH'],
  });
  if (!server.found) {
    status.stopped(server.message);
    output.appendLine(server.message);
    void vscode.window.showErrorMessage(server.message, 'Open Settings').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'symdex.server.path');
      }
    });
    return;
  }
  output.appendLine(`symdex: starting ${server.path} (from ${server.source})`);

  const serverOptions: ServerOptions = {
    command: server.path,
    args: ['lsp', ...(config.get<string[]>('server.extraArgs') ?? [])],
  };
  const extensions = Object.values(languages.languages).flatMap((l) => l.extensions);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', pattern: `**/*.{${extensions.join(',')}}` }],
    initializationOptions: serverSettings(context, config),
    outputChannel: output,
    middleware: {
      handleWorkDoneProgress: (token, params, next) => {
        next(token, params);
        if (status.progress(token, params)) {
          void refreshStatus();
        }
      },
    },
  };
  status.starting();
  const c = new LanguageClient('symdex', 'symdex', serverOptions, clientOptions);
  c.onDidChangeState((e) => {
    if (e.newState === State.Stopped && client === c) {
      status.stopped('symdex: the server stopped. See the server log; "symdex: Restart Server" starts it again.');
    }
  });
  client = c;
  try {
    await c.start();
  } catch (e) {
    const message = `symdex: the server failed to start: ${e instanceof Error ? e.message : String(e)}`;
    status.stopped(message);
    void vscode.window.showErrorMessage(message);
  }
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c !== undefined && c.state !== State.Stopped) {
    await c.stop();
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

/**
 * The server settings (every `symdex.*` setting but the extension's own), keyed as the server's
 * initializationOptions expect. The keys come from this extension's package.json, which a test
 * keeps in step with the server's SETTINGS list.
 */
function serverSettings(context: vscode.ExtensionContext, config: vscode.WorkspaceConfiguration): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const full of settingIds(context)) {
    const key = full.slice(SECTION.length + 1);
    if (CLIENT_SETTINGS.some((prefix) => key.startsWith(prefix))) {
      continue;
    }
    const value = config.get<unknown>(key);
    // An unset optional path (`cacheDir`) is left to the server's default.
    if (value === null || value === undefined || value === '') {
      continue;
    }
    options[key] = value;
  }
  return options;
}

/** Every `symdex.*` setting id this extension contributes. */
function settingIds(context: vscode.ExtensionContext): string[] {
  return Object.keys((context.extension.packageJSON as PackageJson).contributes.configuration.properties);
}

interface PackageJson {
  contributes: { configuration: { properties: Record<string, unknown> } };
}


async function executeServerCommand(command: string): Promise<IndexStatus | undefined> {
  if (client === undefined || client.state !== State.Running) {
    void vscode.window.showWarningMessage('symdex: the server is not running.', 'Open Server Log').then((c) => {
      if (c !== undefined) {
        output.show(true);
      }
    });
    return undefined;
  }
  return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [] })) as IndexStatus;
}

async function refreshStatus(): Promise<void> {
  try {
    const s = await executeServerCommand('symdex.status');
    if (s !== undefined) {
      status.indexed(s);
    }
  } catch (e) {
    output.appendLine(`symdex: status request failed: ${String(e)}`);
  }
}

async function reindex(): Promise<void> {
  const s = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'symdex: reindexing the workspace' },
    () => executeServerCommand('symdex.reindex'),
  );
  if (s !== undefined) {
    status.indexed(s);
    void vscode.window.showInformationMessage(`symdex: reindexed ${count(s.files, 'file')}, ${count(s.symbols, 'symbol')}.`);
  }
}

async function showStatus(): Promise<void> {
  const s = await executeServerCommand('symdex.status');
  if (s === undefined) {
    return;
  }
  status.indexed(s);
  const choice = await vscode.window.showInformationMessage(
    `symdex: ${count(s.symbols, 'symbol')} in ${count(s.files, 'file')}, ${count(s.openDocuments, 'open document')}.`,
    'Details',
    'Reindex',
  );
  if (choice === 'Details') {
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(s, null, 2) });
    await vscode.window.showTextDocument(doc, { preview: true });
  } else if (choice === 'Reindex') {
    await reindex();
  }
}
