// The axe-core accessibility check, run inside the page: WCAG 2 A and AA rules.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let source = null;

/**
 * Runs axe on the page as it is now and returns the violations, each as
 * "rule: help (selector, …)". Injected with `evaluate` (the DevTools
 * protocol), so the page's Content-Security-Policy stays as it is.
 */
export async function axeViolations(page, { include = null } = {}) {
  source ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(source);
  const violations = await page.evaluate(
    async (include) =>
      (
        await window.axe.run(include ?? document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
          resultTypes: ['violations'],
        })
      ).violations.map((v) => ({
        rule: v.id,
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`),
      })),
    include,
  );
  return violations.map((v) => `${v.rule}: ${v.help}\n    ${v.nodes.slice(0, 6).join('\n    ')}`);
}

/** Fails with every violation listed when axe finds any. */
export async function assertAccessible(page, view) {
  const found = await axeViolations(page);
  if (found.length) throw new Error(`${view}: ${found.length} axe violation(s):\n  ${found.join('\n  ')}`);
}
