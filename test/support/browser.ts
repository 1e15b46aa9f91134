/// <reference lib="dom" />
// Browser tests drive Debian's Chromium through playwright-core (no browser download). Helpers:
// launching it the way this closed network needs, axe-core on a screen, and screenshots.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './stand-ins';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Flags for headless Chromium as root; without the background-networking ones Chromium keeps
 * calling Google's services, which this network refuses. */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh profile each launch (Playwright gives every launch its own user-data-dir). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

/** Where screenshots go: docs/screenshots for `npm run screenshots`, test-results otherwise. */
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR
  ? path.resolve(REPO_ROOT, process.env.SCREENSHOT_DIR)
  : path.join(REPO_ROOT, 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Let animations (popovers, dialogs) settle; the page is otherwise already where the test wants it.
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA rules). */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the console's Content-Security-Policy does not apply.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<unknown> } }).axe;
    const result = (await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    })) as {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Waiting on the page the way a person would look at it (playwright-core has no assertions of its
// own; these wait, then Jest's expect judges).

/** Waits until the element is shown. */
export async function shown(locator: Locator, timeout?: number): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout });
}

/** Waits until the element is gone. */
export async function gone(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'hidden' });
}

/** Reads until `accept` holds (or the time is up) and returns the last value read. */
export async function settled<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** The element's text once it contains `expected` (or whatever it shows when the time is up). */
export async function textOf(locator: Locator, expected: string | RegExp): Promise<string> {
  await shown(locator);
  return settled(
    async () => (await locator.textContent()) ?? '',
    (text) => (typeof expected === 'string' ? text.includes(expected) : expected.test(text)),
  );
}

/** Ticks a checkbox or picks a radio button the way a person does: by clicking its visible label
 * (React Aria keeps the native input visually hidden under it). */
export async function tick(input: Locator): Promise<void> {
  if (await input.isChecked()) return;
  await input.locator('xpath=ancestor::label[1]').click();
  await settled(() => input.isChecked(), Boolean, 5_000);
}
