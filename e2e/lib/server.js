// Starts the real `hearth` binary on a free port with a fresh data directory,
// waits until /readyz answers 200, and stops it afterwards.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const E2E_DIR = path.resolve(here, '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hearth exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`hearth did not become ready within ${timeoutMs} ms (${last})`);
}

/**
 * @returns {Promise<{url: string, port: number, dataDir: string, logs: () => string, stop: () => Promise<void>}>}
 */
export async function startServer({ extraArgs = [], env = {}, timeoutMs = 30_000 } = {}) {
  const bin = path.resolve(E2E_DIR, process.env.HEARTH_BIN ?? '../target/debug/hearth');
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hearth-e2e-'));
  const args = ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir, ...extraArgs];
  const child = spawn(bin, args, {
    env: { ...process.env, HEARTH_LOG_FORMAT: 'text', RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    err.message += `\n--- server output ---\n${output.slice(-4000)}`;
    throw err;
  }
  return {
    url,
    port,
    dataDir,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
