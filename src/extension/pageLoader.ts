// Loads the panel's page and loads it again when it does not start. In VS Code for the Web
// (code-server) a webview created while another is being set up can come up without its script
// and style files: the page never says `ready`, and the user would see bare text. A visible page
// that has not said `ready` after PAGE_START_MS is loaded again, at most MAX_RELOADS times.
import * as vscode from 'vscode';

const PAGE_START_MS = 8000;
const MAX_RELOADS = 2;

export class PageLoader implements vscode.Disposable {
  private started = false;
  private reloads = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sub: vscode.Disposable;

  /** `page` builds the page's HTML (tests swap it to break a load). */
  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly log: vscode.LogOutputChannel,
    private readonly page: (webview: vscode.Webview) => string,
  ) {
    // A hidden page is unloaded; shown again, it starts again.
    this.sub = panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) this.started = false;
      this.arm();
    });
    this.load();
  }

  /** Whether the page has said `ready`, and how often it was loaded again (for tests). */
  get state(): { started: boolean; reloads: number } {
    return { started: this.started, reloads: this.reloads };
  }

  /** The page said `ready`. */
  pageStarted(): void {
    this.started = true;
    clearTimeout(this.timer);
  }

  private load() {
    this.started = false;
    this.panel.webview.html = this.page(this.panel.webview);
    this.arm();
  }

  private arm() {
    clearTimeout(this.timer);
    if (this.started || !this.panel.visible) return;
    this.timer = setTimeout(() => {
      if (this.started || !this.panel.visible) return;
      if (this.reloads >= MAX_RELOADS) {
        this.log.error(`the panel's page did not start after ${MAX_RELOADS} reloads`);
        return;
      }
      this.reloads++;
      this.log.warn(`the panel's page did not start within ${PAGE_START_MS} ms: loading it again`);
      this.load();
    }, PAGE_START_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.sub.dispose();
  }
}

