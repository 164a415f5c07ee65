// Sesame's passkey pages in real Chromium: a CDP virtual authenticator (CTAP2, internal,
// resident keys, user verification) registers a passkey on /wan-register, signs in with it
// on /wan-signin without a username and from the sign-in form's autofill, re-verifies on
// /wan-verify and deletes it, then uses a security key as the second step after the password,
// all through the HTML pages and their script against the real `sesame` binary on loopback.
//
// Needs SESAME_BIN and SESAME_COMPONENT (scripts/test sets them) and Chromium
// (CHROMIUM, default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const EMAIL = 'ada@example.com';
const PASSWORD = 'analytical engine';

function startSesame(dir) {
  const child = spawn(
    process.env.SESAME_BIN,
    ['--store', join(dir, 'sesame.db'), '--component', process.env.SESAME_COMPONENT,
      '--cache-dir', join(dir, 'cache'), 'serve', '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' } },
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const base = line.replace('sesame listening on ', '');
      // WebAuthn needs a domain as RP ID: the browser uses localhost, which is loopback too.
      resolve({ child, direct: base, base: base.replace('127.0.0.1', 'localhost') });
      lines.on('line', () => {});
    });
    child.once('exit', (code) => reject(new Error(`sesame exited with ${code}`)));
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-browser-'));
  const { child, direct, base } = await startSesame(dir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // localhost must reach the server's 127.0.0.1, never ::1.
    args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
  try {
    const registered = await fetch(`${direct}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    assert.equal(registered.status, 202);

    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    // Password sign-in on the HTML form, then register a passkey on /wan-register.
    await page.goto(`${base}/login`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/me`), page.click('button[type=submit]')]);
    await page.goto(`${base}/wan-register`);
    await page.fill('#name', 'Chromium passkey');
    await page.click('form[data-wan=register] button');
    // The script reloads the page once the credential is stored; the table then lists it.
    await page.waitForSelector('td:has-text("Chromium passkey")', { timeout: 10000 }).catch(async () => {
      throw new Error(`no credential listed; status: ${await page.textContent('#wan-status')}`);
    });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true);
    assert.equal(credentials[0].rpId, 'localhost');
    const json = async (path) =>
      (await context.request.get(`${base}${path}`, { headers: { accept: 'application/json' } })).json();
    const listed = await json('/wan-register');
    assert.equal(listed.credentials.length, 1);
    assert.equal(listed.credentials[0].usage, 'first');
    assert.equal(listed.credentials[0].discoverable, true);

    // Signed out, sign in with the passkey and no username.
    await context.clearCookies();
    await page.goto(`${base}/wan-signin`);
    await Promise.all([
      page.waitForURL(`${base}/me`),
      page.click('form[data-wan=signin] button'),
    ]).catch(async (e) => {
      throw new Error(`${e.message}; status: ${await page.textContent('#wan-status')}`);
    });
    const me = await json('/me');
    assert.equal(me.user.email, EMAIL);

    // Signed out again, the sign-in form offers the passkey in its autofill (conditional
    // mediation); the virtual authenticator answers that request at once, as picking the
    // passkey from the list would.
    await context.clearCookies();
    await page.goto(`${base}/login`, { waitUntil: 'commit' });
    await page.waitForURL(`${base}/me`, { timeout: 10000 }).catch(async (e) => {
      throw new Error(`${e.message}; status: ${await page.textContent('#wan-status')}`);
    });
    assert.equal((await json('/me')).user.email, EMAIL);

    // Re-verify, then delete it from the list.
    await page.goto(`${base}/wan-verify`);
    await Promise.all([
      page.waitForURL(`${base}/wan-register`),
      page.click('form[data-wan=verify] button'),
    ]);
    await Promise.all([
      page.waitForURL(`${base}/wan-delete`),
      page.click('form[action="/wan-delete"] button'),
    ]);
    await page.waitForSelector('text=Deleted');
    const after = await json('/wan-register');
    assert.equal(after.credentials.length, 0);
    const used = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(used.credentials[0].signCount >= 2, true);

    // A security key as the second step: password on /login, then the key on /wan-signin.
    await page.goto(`${base}/wan-register`);
    await page.fill('#name', 'Chromium key');
    await page.check('#usage-secondary');
    await page.click('form[data-wan=register] button');
    await page.waitForSelector('td:has-text("Chromium key")', { timeout: 10000 });
    await context.clearCookies();
    await page.goto(`${base}/login`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/wan-signin`), page.click('button[type=submit]')]);
    assert.equal((await json('/me')).error.code, 'unauthenticated');
    await Promise.all([
      page.waitForURL(`${base}/me`),
      page.click('form[data-wan=signin] button'),
    ]).catch(async (e) => {
      throw new Error(`${e.message}; status: ${await page.textContent('#wan-status')}`);
    });
    assert.equal((await json('/me')).user.email, EMAIL);
    console.log(
      'browser passkey test: register, usernameless sign-in, autofill, verify, delete, second factor: ok',
    );
  } finally {
    await browser.close();
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
