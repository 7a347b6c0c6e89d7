/**
 * The product as a person meets it: `node dist/sandbox/start.js` (what `npm start` runs) on ports
 * of its own, and the Microsoft 365 Agents Playground driven in Debian's Chromium. Screenshots go
 * to test-output/e2e/. UI waits are generous (a busy CI machine), never timed assertions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SignInStates, signInStateKey } from '../../bot/signin/state';
import { SSO_APP, USERS } from '../../sandbox/directory';
import { SEED } from '../../sandbox/graph';
import { httpCall } from '../../sandbox/teams/httpClient';
import { ensureCerts } from '../../sandbox/certs';
import { launchSandbox, type LaunchedSandbox, type SandboxPorts } from '../support/launcher';
import { describeSocket, isLoopback, watchConnections, type ConnectionWatch } from '../support/sockets';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, 'test-output', 'e2e');
const UI_WAIT = 60_000;
const certs = ensureCerts();

jest.setTimeout(240_000);

if (!fs.existsSync(CHROMIUM)) {
  throw new Error(
    `The browser end-to-end test needs Debian's Chromium at ${CHROMIUM} (playwright-core drives it; nothing is downloaded). ` +
      'Install it with `sudo apt-get install chromium` (CI does this in .ci/run).',
  );
}

describe('npm start + the Agents Playground in Chromium', () => {
  let sandbox: LaunchedSandbox | undefined;
  let connections: ConnectionWatch | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let ports: SandboxPorts;
  const blocked = new Set<string>();

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    sandbox = await launchSandbox();
    ports = sandbox.ports;
    // Every connection of npm start's processes, from its first moment to the end of the browser run.
    connections = watchConnections(sandbox.pid);
    await sandbox.ready;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // The Playground's page asks a Microsoft CDN for fonts: nothing may leave this machine.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => {
      blocked.add(new URL(route.request().url()).host);
      return route.abort();
    });
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${ports.playground}/`);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    connections?.stop();
    await sandbox?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const composer = () => page.locator('[data-lexical-editor="true"]').last();

  /** The upload as Graph has it now, read as Alex through the Graph stand-in with a real token. */
  async function uploadStatus(id: string): Promise<string> {
    const minted = await httpCall(`https://127.0.0.1:${ports.entra}/_sandbox/entra/graph-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'alex', scopes: ['DeviceManagementServiceConfig.ReadWrite.All'] }),
      ca: certs.ca,
    });
    const { token } = minted.json as { token: string };
    const answer = await httpCall(`https://127.0.0.1:${ports.graph}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/${id}`, {
      headers: { Authorization: `Bearer ${token}` },
      ca: certs.ca,
    });
    expect(answer.status).toBe(200);
    return (answer.json as { status: string }).status;
  }

  it('prints the banner with the Playground URL, seeded uploads and how to stop', () => {
    const output = sandbox!.output();
    expect(output).toContain(`http://127.0.0.1:${ports.playground}/`);
    expect(output).toContain(SEED.pending);
    expect(output).toMatch(/Stop: Ctrl-C/);
  });

  it('personal chat: set upload → confirmation card → Confirm → the updated card, and Graph changed', async () => {
    expect(await uploadStatus(SEED.pending)).toBe('pending');
    await page.getByText('Personal Chat', { exact: true }).first().click();
    await composer().click();
    await page.keyboard.type(`set upload ${SEED.pending} to complete`);
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: UI_WAIT });
    await expect(page.getByText('Confirm the status change').last().isVisible()).resolves.toBe(true);
    await shot('1-personal-confirmation');
    await confirm.click();
    await page.getByText('Upload status changed').last().waitFor({ timeout: UI_WAIT });
    await shot('2-personal-updated');
    // The result card replaced the confirmation: no Confirm button is left in the chat.
    expect(await page.getByRole('button', { name: 'Confirm', exact: true }).count()).toBe(0);
    expect(await uploadStatus(SEED.pending)).toBe('complete');
  });

  it('a refused/invalid command gets a help card that says what was wrong', async () => {
    await page.getByText('Personal Chat', { exact: true }).first().click();
    await composer().click();
    await page.keyboard.type(`set upload ${SEED.error} to completed`);
    await page.keyboard.press('Enter');
    await page.getByText('is not a status').last().waitFor({ timeout: UI_WAIT });
    await shot('3-invalid-command');
    expect(await page.getByText(/did you mean/).count()).toBeGreaterThan(0);
    expect(await uploadStatus(SEED.error)).toBe('error');
  });

  it('personal chat: list uploads → Change status → the prefilled form → Confirm, without typing an id', async () => {
    expect(await uploadStatus(SEED.noUpload)).toBe('noUpload');
    await page.getByText('Personal Chat', { exact: true }).first().click();
    await composer().click();
    await page.keyboard.type('list uploads');
    await page.keyboard.press('Enter');
    await page.getByText(SEED.noUpload).last().waitFor({ timeout: UI_WAIT });
    await shot('4a-list-uploads');
    // Rows are newest first: the large import, then the noUpload one.
    const changeButtons = page.getByRole('button', { name: 'Change status', exact: true });
    await changeButtons.nth(1).click();
    await page.getByText("Change an upload's status").last().waitFor({ timeout: UI_WAIT });
    await shot('4b-change-status-form');
    const select = page.locator('select').last();
    if ((await page.locator('select').count()) > 0) {
      await select.selectOption('pending');
    } else {
      await page.getByRole('combobox', { name: /New status/ }).last().click();
      await page.getByRole('option', { name: 'Pending', exact: true }).click();
    }
    await page.getByRole('button', { name: 'Review change', exact: true }).last().click();
    const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: UI_WAIT });
    await expect(page.getByText('Confirm the status change').last().isVisible()).resolves.toBe(true);
    await shot('4c-confirmation-from-list');
    await confirm.click();
    await page.getByText('Upload status changed').last().waitFor({ timeout: UI_WAIT });
    await shot('4d-updated-from-list');
    expect(await uploadStatus(SEED.noUpload)).toBe('pending');
  });

  it('team channel with an @mention: the requester’s refreshed card → Confirm → updated, and Graph changed', async () => {
    expect(await uploadStatus(SEED.docExample)).toBe('pending');
    await page.getByText('General', { exact: true }).first().click();
    await composer().click();
    await page.keyboard.type('@Autopilot');
    // The Playground's mention picker: choosing the bot makes a real mention entity.
    await page.getByRole('menuitem', { name: /Autopilot Uploads/ }).click({ timeout: UI_WAIT });
    await page.keyboard.type(` set upload ${SEED.docExample} to complete`);
    await shot('4-channel-new-post');
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    // Alex's own view arrives through the bridge's refresh (with card-level SSO): it has the buttons.
    const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
    await confirm.waitFor({ timeout: UI_WAIT });
    await shot('5-channel-requester-view');
    await confirm.click();
    await page.getByText('Upload status changed').last().waitFor({ timeout: UI_WAIT });
    await shot('6-channel-updated');
    expect(await uploadStatus(SEED.docExample)).toBe('complete');
  });

  it('sign-in pages in the browser: the bot\'s start page → Entra\'s consent → the bot\'s end page, which runs teams-js from the bot and calls notifySuccess', async () => {
    // The Playground cannot host a sign-in popup (DESIGN.md): open the button's URL in a window of
    // our own, as Teams' popup would, with the sandbox's state key (env/.env.local's app secret).
    const states = new SignInStates(signInStateKey(SSO_APP.clientSecret));
    const bot = `http://127.0.0.1:${ports.bot}`;
    const start = `${bot}/auth/start?state=${states.seal('start', { tid: USERS.megan.tid, oid: USERS.megan.oid, exchangeId: 'e2e-exchange' })}`;
    const context = await browser!.newContext({ ignoreHTTPSErrors: true });
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => {
      blocked.add(new URL(route.request().url()).host);
      return route.abort();
    });
    // A page-level hook around the real bundle: outside a Teams frame app.initialize never
    // resolves, so the hook lets it resolve and records what the page hands notifySuccess.
    await context.addInitScript(() => {
      let teams: any;
      Object.defineProperty(globalThis, 'microsoftTeams', {
        configurable: true,
        get: () => teams,
        set: (real: any) => {
          // teams-js's exports are read-only module namespaces: wrap them instead of patching.
          const seen: any = { notifySuccess: typeof real?.authentication?.notifySuccess, initialize: typeof real?.app?.initialize };
          (globalThis as any).__teamsJs = seen;
          teams = {
            ...real,
            app: {
              ...real.app,
              initialize: (origins: string[]) => {
                seen.origins = origins;
                return Promise.resolve();
              },
            },
            authentication: {
              ...real.authentication,
              notifySuccess: (result: string) => {
                seen.success = result;
              },
              notifyFailure: (reason: string) => {
                seen.failure = reason;
              },
            },
          };
        },
      });
    });
    const popup = await context.newPage();
    const problems: string[] = [];
    popup.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const loaded: Array<{ url: string; status: number; csp?: string }> = [];
    popup.on('response', (r) => loaded.push({ url: r.url(), status: r.status(), csp: r.headers()['content-security-policy'] }));
    try {
      await popup.goto(start);
      expect(new URL(popup.url()).pathname).toBe(`/${USERS.megan.tid}/v2.0/adminconsent`);
      expect(new URL(popup.url()).port).toBe(String(ports.entra));
      await popup.getByRole('button', { name: 'Accept' }).click();
      await popup.waitForURL((u) => u.pathname === '/auth/end', { timeout: UI_WAIT });
      await popup.waitForFunction(() => (globalThis as any).__teamsJs?.success || (globalThis as any).__teamsJs?.failure, undefined, { timeout: UI_WAIT });
      await popup.screenshot({ path: path.join(SHOTS, '5-sign-in-end-page.png') });
      const seen = await popup.evaluate(() => (globalThis as any).__teamsJs);
      expect(seen).toMatchObject({ notifySuccess: 'function', initialize: 'function', origins: expect.arrayContaining(['https://teams.microsoft.com']) });
      expect(states.open(seen.success, 'done')).toMatchObject({ ok: true, state: { oid: USERS.megan.oid, exchangeId: 'e2e-exchange' } });
      // teams-js came from the bot itself; the pages carry their CSP; nothing was refused by it.
      expect(loaded.filter((l) => l.url.includes('teams-js'))).toEqual([expect.objectContaining({ url: `${bot}/auth/teams-js`, status: 200 })]);
      expect(loaded.find((l) => l.url.startsWith(`${bot}/auth/end`))?.csp).toContain('frame-ancestors');
      // The only thing the CSP refused: teams-js's own fetch of its origin list from the CDN (it
      // falls back to its bundled list); the page's own scripts all ran under the nonce.
      const refused = problems.filter((p) => /Content Security Policy/i.test(p));
      expect(refused.filter((p) => !/https:\/\/res\.cdn\.office\.net\/teams-js\//.test(p))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('no process of npm start connected to a non-loopback address during the run', () => {
    const { seen, samples } = connections!.stop();
    expect(seen.filter((s) => !isLoopback(s.remote.address)).map(describeSocket)).toEqual([]);
    // Not vacuous: the samples caught the bot talking to the Graph stand-in for the changes above.
    expect(seen.some((s) => s.remote.port === ports.graph)).toBe(true);
    expect(samples).toBeGreaterThan(10);
  });

  it('nothing reached beyond loopback except what the browser was stopped from fetching', () => {
    // Only the Playground page's web fonts are attempted (and refused); everything else stayed on 127.0.0.1.
    for (const host of blocked) expect(host).toMatch(/(^|\.)cdn\.office\.net$/);
  });
});
