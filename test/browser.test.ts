/**
 * End to end through a real browser: `npm run jupyter` (scripts/jupyter.sh) on loopback with a random port and
 * token, Debian's Chromium driven by playwright-core. notebooks/00-setup-check.ipynb: its first code cell run through
 * the UI (click + Shift+Enter) and its output read from the page. notebooks/01-star-loss-anatomy.ipynb: Cell > Run All
 * from the menu, every cell finished without an error, interactive figures drawn. The notebook files must not change
 * (autosave is switched off), and the server is always stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, chromiumPath } from '../src/report/plot/export';
import { requireSetup } from './helpers/setup';

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOK = 'notebooks/00-setup-check.ipynb';
/** A story notebook (question, method, result, verdict) a reader runs top to bottom. */
const STORY = 'notebooks/01-star-loss-anatomy.ipynb';
const exe = chromiumPath();
const haveNotebook = spawnSync('/usr/bin/python3', ['-c', 'import notebook'], { encoding: 'utf8' }).status === 0;
const skip = !exe
  ? 'Chromium not installed (/usr/bin/chromium); run npm run setup'
  : !haveNotebook
    ? 'Jupyter Notebook not installed (/usr/bin/python3 -c "import notebook" fails); run npm run setup'
    : !fs.existsSync(path.join(ROOT, 'node_modules', 'tslab'))
      ? 'node_modules/tslab missing'
      : false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, server: ChildProcess, log: () => string, timeoutMs = 45_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (server.exitCode !== null) throw new Error(`jupyter exited early (${server.exitCode}):\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`jupyter did not answer ${url.replace(/token=\w+/, 'token=…')} within ${timeoutMs} ms:\n${log()}`);
}

/** SIGTERM to the server's process group (Jupyter then shuts its kernels down), SIGKILL if it lingers. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.pid === undefined) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof chromium.launch>>['newPage']>>;

/**
 * `npm run jupyter` on a free port with a random token and a scratch Jupyter home, Chromium on it; `fn` gets a page
 * with the notebook open and its tslab kernel connected (autosave off). The server is always stopped, and the notebook
 * file must come out unchanged.
 */
async function withNotebook(notebook: string, fn: (page: Page) => Promise<void>): Promise<void> {
  const port = await freePort();
  const token = createHash('sha256').update(`${process.pid}-${Date.now()}-${Math.random()}`).digest('hex').slice(0, 32);
  const jupyterHome = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-e2e-'));
  const notebookPath = path.join(ROOT, notebook);
  const before = fs.readFileSync(notebookPath);
  let output = '';
  const server = spawn(
    'bash',
    [path.join(ROOT, 'scripts', 'jupyter.sh'), '--no-browser', `--port=${port}`, '--NotebookApp.port_retries=0', `--NotebookApp.token=${token}`],
    {
      cwd: ROOT,
      detached: true, // own process group, so the whole server can be stopped
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // Keep the user's Jupyter config, runtime files and trust database out of the test.
        JUPYTER_CONFIG_DIR: path.join(jupyterHome, 'config'),
        JUPYTER_RUNTIME_DIR: path.join(jupyterHome, 'runtime'),
        JUPYTER_DATA_DIR: path.join(jupyterHome, 'data'),
        STAR_PROFILE: 'smoke',
      },
    },
  );
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const log = () => output.replace(new RegExp(token, 'g'), '…').slice(-4000);
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    await waitForServer(`http://127.0.0.1:${port}/api/status?token=${token}`, server, log);
    browser = await chromium.launch({ executablePath: exe!, args: CHROMIUM_FLAGS, headless: true });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/notebooks/${notebook}?token=${token}`);
    // The classic UI exposes window.Jupyter; wait until the tslab kernel is connected.
    await page.waitForFunction(
      () => {
        const J = (globalThis as any).Jupyter; // eslint-disable-line @typescript-eslint/no-explicit-any
        return !!J?.notebook?.kernel?.is_connected?.() && J.notebook.kernel.name === 'tslab';
      },
      undefined,
      { timeout: 60_000 },
    );
    // No autosave: running cells must not rewrite the committed notebook.
    await page.evaluate(() => (globalThis as any).Jupyter.notebook.set_autosave_interval(0)); // eslint-disable-line @typescript-eslint/no-explicit-any
    await fn(page);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- jupyter log ---\n${log()}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await stopServer(server);
    fs.rmSync(jupyterHome, { recursive: true, force: true });
  }
  assert.ok(fs.readFileSync(notebookPath).equals(before), `${notebook} was modified by the UI session`);
}

test('Jupyter + tslab in Chromium: run a cell of 00-setup-check through the UI', { timeout: 150_000 }, async () => {
  requireSetup(skip);
  await withNotebook(NOTEBOOK, async (page) => {
    const cell = page.locator('.cell.code_cell').first();
    await cell.locator('.CodeMirror').click();
    await page.keyboard.press('Shift+Enter');
    const out = cell.locator('.output_area .output_text');
    await out.filter({ hasText: 'tf.add check:' }).first().waitFor({ timeout: 90_000 });
    const text = (await cell.locator('.output_wrapper').innerText()).trim();
    assert.match(text, /\[backend\] (wasm|cpu|tensorflow|tensorflow-gpu)\b/, text);
    assert.match(text, /profile: smoke/, text);
    assert.match(text, /tf\.add check: 2,3,4/, text);
    const prompt = await cell.locator('.input_prompt').innerText();
    assert.match(prompt, /\[1\]/, `execution count shown: ${prompt}`);

    // The training and figure cells: the inlined Plotly bundle must load next to the page's require.js and draw
    // an interactive figure, which then hides the static PNG emitted just before it.
    await page.evaluate(() => (globalThis as any).Jupyter.notebook.execute_cells([3, 5])); // eslint-disable-line @typescript-eslint/no-explicit-any
    const figureCell = page.locator('.cell.code_cell').nth(2);
    await figureCell.locator('.plotly .main-svg').first().waitFor({ timeout: 90_000 });
    const title = await figureCell.locator('.plotly .gtitle').first().textContent();
    assert.match(title ?? '', /Setup check: training loss \(smoke\)/);
    assert.equal(await figureCell.locator('.output_area img').count(), 1, 'one static PNG output');
    const pngVisible = await figureCell.locator('.output_area img').first().isVisible();
    if (process.env.STAR_E2E_SCREENSHOT) await page.screenshot({ path: process.env.STAR_E2E_SCREENSHOT, fullPage: true });
    assert.equal(pngVisible, false, 'static PNG hidden once the interactive figure is drawn');
  });
});

test('Jupyter + tslab in Chromium: Cell > Run All of the story notebook 01 finishes without an error and draws interactive figures', { timeout: 420_000 }, async () => {
  requireSetup(skip);
  await withNotebook(STORY, async (page) => {
    const t0 = Date.now();
    // Through the menu, as a reader would: Cell > Run All.
    await page.click('#celllink');
    await page.click('#run_all_cells');
    // Done when every code cell shows an execution count (not "*") and the kernel is idle, or as soon as a cell fails
    // (Jupyter then skips the cells queued after it).
    await page.waitForFunction(
      () => {
        const g = globalThis as any; // eslint-disable-line @typescript-eslint/no-explicit-any
        const J = g.Jupyter;
        if (g.document.querySelector('.output_area .output_error')) return true;
        const code = J.notebook.get_cells().filter((c: { cell_type: string }) => c.cell_type === 'code');
        return !J.notebook.kernel_busy && code.every((c: { input_prompt_number?: number | string }) => typeof c.input_prompt_number === 'number');
      },
      undefined,
      { timeout: 360_000, polling: 1000 },
    );
    const seconds = (Date.now() - t0) / 1000;
    const errors = await page.locator('.output_area .output_error').allInnerTexts();
    const stderrAll = await page.locator('.output_area .output_stderr').allInnerTexts();
    assert.equal(errors.length, 0, `a cell raised: ${[...errors, ...stderrAll].join('\n')}`);
    const counts = await page.evaluate(() => (globalThis as any).Jupyter.notebook.get_cells() // eslint-disable-line @typescript-eslint/no-explicit-any
      .filter((c: { cell_type: string }) => c.cell_type === 'code').map((c: { input_prompt_number: number }) => c.input_prompt_number));
    assert.deepEqual(counts, counts.map((_: number, i: number) => i + 1), 'every code cell ran once, in order');
    // tslab writes a failed cell's message to stderr.
    const stderr = (await page.locator('.output_area .output_stderr').allInnerTexts()).filter((t) => /error/i.test(t));
    assert.deepEqual(stderr, [], 'no error on stderr');
    // Interactive Plotly figures, with the drag layer that zoom and hover use.
    const figures = await page.locator('.output_area .plotly .main-svg').count();
    assert.ok(figures >= 4, `${figures} interactive figures drawn`);
    assert.ok(await page.locator('.output_area .plotly .nsewdrag').count() >= 1, 'figures are interactive (drag layer for zoom and hover)');
    console.error(`# Run All of ${STORY}: ${seconds.toFixed(0)} s, ${counts.length} code cells, ${figures} interactive figures`);
  });
});
