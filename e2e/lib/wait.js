// Awaiting conditions with Playwright's auto-waiting, under timeouts: no sleeps.

/** Waits until `locator` (first match) contains `text`. */
export async function waitText(locator, text, timeout = 10_000) {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}

/** Waits until `locator` matches exactly `n` elements. */
export async function waitCount(locator, n, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let count = -1;
  while (Date.now() < deadline) {
    count = await locator.count();
    if (count === n) return;
    await locator.page().waitForTimeout(50);
  }
  throw new Error(`expected ${n} elements for ${locator}, found ${count}`);
}

/** Waits until `locator` is gone (detached or hidden). */
export async function waitGone(locator, timeout = 10_000) {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

/** Polls `fn` until it returns truthy. */
export async function until(page, fn, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
