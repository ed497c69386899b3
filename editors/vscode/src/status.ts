// The status bar item: indexing progress (from the server's `$/progress`) while a scan runs, then
// the symbol count (from `symdex.status`). Clicking it shows the index status.

import * as vscode from 'vscode';
import type { WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport } from 'vscode-languageclient';

/** The JSON `symdex.status` and `symdex.reindex` return. */
export interface IndexStatus {
  files: number;
  symbols: number;
  openDocuments: number;
  roots: string[];
  scans: { root: string; stats: Record<string, unknown> }[];
}

type Progress = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  /** Titles of the scans in flight, by progress token. */
  private readonly scans = new Map<string, string>();

  constructor() {
    this.item = vscode.window.createStatusBarItem('symdex.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'symdex';
    this.item.command = 'symdex.showStatus';
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.scans.clear();
    this.set('$(loading~spin) symdex', 'symdex: starting the server');
  }

  stopped(message: string): void {
    this.scans.clear();
    this.set('$(error) symdex', message, 'symdex.showServerLog');
  }

  /** Feeds one `$/progress` value; returns true when the last scan in flight has just ended. */
  progress(token: string | number, value: Progress): boolean {
    const key = String(token);
    switch (value.kind) {
      case 'begin':
        this.scans.set(key, value.title);
        this.set('$(loading~spin) symdex: indexing', value.title);
        return false;
      case 'report': {
        const title = this.scans.get(key) ?? 'symdex: indexing';
        const done = value.message ?? (value.percentage !== undefined ? `${value.percentage}%` : '');
        this.set(`$(loading~spin) symdex: ${done}`, title);
        return false;
      }
      case 'end':
        this.scans.delete(key);
        if (this.scans.size === 0) {
          this.set('$(check) symdex: indexed', value.message ?? 'symdex: indexed');
          return true;
        }
        return false;
    }
  }

  /** Shows the symbol count, unless a scan is still running. */
  indexed(status: IndexStatus): void {
    if (this.scans.size > 0) {
      return;
    }
    const tooltip = new vscode.MarkdownString(
      `**symdex**: ${count(status.symbols, 'symbol')} in ${count(status.files, 'file')}, ` +
        `${count(status.openDocuments, 'open document')}\n\n` +
        status.roots.map((r) => `- \`${r}\``).join('\n') +
        '\n\nClick for details.',
    );
    this.set(`$(symbol-class) symdex: ${count(status.symbols, 'symbol')}`, tooltip);
  }

  dispose(): void {
    this.item.dispose();
  }

  private set(text: string, tooltip: string | vscode.MarkdownString, command = 'symdex.showStatus'): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = command;
  }
}

export function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
