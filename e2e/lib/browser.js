// Debian's Chromium driven by playwright-core, plus helpers shared by tests.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '..', 'artifacts');

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: LAUNCH_ARGS,
  });
}

/** A new context + page; console errors and CSP violations are collected on `page.problems`. */
export async function newPage(browser, baseURL, options = {}) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(msg.text());
  });
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  page.on('dialog', (d) => {
    page.problems.push(`unexpected dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return { context, page };
}

let counter = 0;
/** A unique username for this run. */
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}${Date.now().toString(36).slice(-4)}${counter}`;
}

/** Registers through the UI and waits for the chat shell. */
export async function signUp(page, username, { password = 'correct horse battery', displayName = null } = {}) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username', { exact: true }).fill(username);
  if (displayName) await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('.sidebar').waitFor();
  await waitConnected(page);
}

export async function signIn(page, username, password = 'correct horse battery') {
  await page.goto('/');
  await page.getByLabel('Username or e-mail').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.sidebar').waitFor();
  await waitConnected(page);
}

export async function waitConnected(page) {
  await page.locator('.sidebar[data-connection="ready"]').waitFor({ timeout: 15_000 });
}

/** REST call with the page's stored token (for test setup only). */
export async function apiCall(page, method, urlPath, body) {
  return page.evaluate(
    async ({ method, urlPath, body }) => {
      const auth = JSON.parse(localStorage.getItem('hearth.auth'));
      const res = await fetch(`/api/v1${urlPath}`, {
        method,
        headers: { Authorization: `Bearer ${auth.access_token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    { method, urlPath, body },
  );
}

export async function me(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('hearth.auth')).user);
}

/** Creates a public channel via the UI's API and opens it. */
export async function createChannel(page, name, topic = '') {
  const res = await apiCall(page, 'POST', '/rooms', { kind: 'channel', name, topic });
  if (res.status !== 201 && res.status !== 200) throw new Error(`create channel: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function openRoom(page, roomId) {
  await page.locator(`.room-item[data-room-id="${roomId}"]`).click();
  await page.locator(`.room[data-room-id="${roomId}"]`).waitFor();
}

export async function sendMessage(page, text) {
  const input = page.locator('.composer__input');
  await input.fill(text);
  await input.press('Enter');
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), animations: 'disabled' });
}

/** Fails the test if the page logged errors (CSP violations show up here). */
export function assertNoProblems(page, ignore = []) {
  const bad = page.problems.filter((p) => !ignore.some((re) => re.test(p)));
  if (bad.length) throw new Error(`page problems:\n${bad.join('\n')}`);
}
