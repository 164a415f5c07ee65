// Sesame's OpenID provider driven by independent client libraries, unmodified: openid-client
// (discovery, PKCE, the code exchange with its ID token checks, userinfo, refresh,
// introspection, revocation, RP-initiated logout) and jose (the RS256 ID token verified
// against the JWKS, and refused under any other algorithm). The person's part, signing in
// and consenting, happens in real Chromium on Sesame's own pages, against the real `sesame`
// binary on loopback.
//
// Needs SESAME_BIN and SESAME_COMPONENT (scripts/test sets them) and Chromium
// (CHROMIUM, default /usr/bin/chromium).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium } from 'playwright-core';

const EMAIL = 'ada@example.com';
const PASSWORD = 'analytical engine';
// The application's address: a small server of this script answers the browser there.
let APP;
let REDIRECT;
let AFTER_LOGOUT;

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function sesameArgs(dir) {
  return ['--store', join(dir, 'sesame.db'), '--component', process.env.SESAME_COMPONENT,
    '--cache-dir', join(dir, 'cache')];
}

/** `sesame client add ...`: returns { id, secret }. */
function addClient(dir, extra) {
  const out = execFileSync(process.env.SESAME_BIN, [...sesameArgs(dir), 'client', 'add',
    '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', AFTER_LOGOUT, ...extra],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const field = (name) => out.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
  return { id: field('client_id'), secret: field('client_secret') };
}

function startSesame(dir, port) {
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.env.SESAME_BIN, [...sesameArgs(dir), 'serve', '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SESAME_PUBLIC_URL: base, RUST_LOG: process.env.RUST_LOG || 'warn' },
    });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', () => {
      resolve({ child, base });
      lines.on('line', () => {});
    });
    child.once('exit', (code) => reject(new Error(`sesame exited with ${code}`)));
  });
}

/** Sends the browser to `url` and returns the URL it was sent to under APP. */
async function visitUntilApp(page, url, act) {
  const arrived = page.waitForRequest((r) => r.url().startsWith(APP), { timeout: 15000 });
  await page.goto(url);
  if (act) await act();
  return new URL((await arrived).url());
}

/** Signs in on Sesame's form if it is shown, then allows on the consent page if shown. */
async function signInAndConsent(page) {
  if (page.url().includes('/login')) {
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
  }
  const allow = page.locator('button', { hasText: 'Allow' });
  await allow.waitFor({ timeout: 10000 });
  assert.match(await page.textContent('h1'), /wants to use your Sesame account/);
  await allow.click();
}

async function main() {
  const app = createHttpServer((_, res) => res.end('app'));
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  APP = `http://127.0.0.1:${app.address().port}`;
  REDIRECT = `${APP}/callback`;
  AFTER_LOGOUT = `${APP}/signed-out`;
  const dir = mkdtempSync(join(tmpdir(), 'sesame-oidc-'));
  const confidential = addClient(dir, ['--name', 'Node app', '--scope', 'openid', '--scope', 'email',
    '--scope', 'profile', '--scope', 'offline_access']);
  const spa = addClient(dir, ['--name', 'Browser app', '--public', '--scope', 'openid', '--scope', 'email']);
  assert.ok(confidential.secret?.startsWith('sesame_cs_'));
  assert.equal(spa.secret, undefined);

  const port = await freePort();
  const { child, base } = await startSesame(dir, port);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const registered = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    assert.equal(registered.status, 202);

    const context = await browser.newContext();
    const page = await context.newPage();

    // A confidential client, client_secret_basic.
    const config = await client.discovery(new URL(base), confidential.id, undefined,
      client.ClientSecretBasic(confidential.secret), { execute: [client.allowInsecureRequests] });
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, base);
    assert.ok(metadata.authorization_response_iss_parameter_supported);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizeUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email profile offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const callback = await visitUntilApp(page, authorizeUrl.href, () => signInAndConsent(page));
    assert.equal(callback.searchParams.get('iss'), base);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.equal(claims.email, EMAIL);
    assert.equal(claims.aud, confidential.id);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.ok(claims.auth_time > 0);
    assert.ok(tokens.refresh_token.startsWith('sesame_rt_'));

    // The ID token's signature, checked by jose against the JWKS; no other algorithm passes.
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const verified = await jwtVerify(tokens.id_token, jwks,
      { issuer: base, audience: confidential.id, algorithms: ['RS256'] });
    assert.equal(verified.protectedHeader.alg, 'RS256');
    await assert.rejects(jwtVerify(tokens.id_token, jwks, { algorithms: ['HS256'] }));

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, EMAIL);
    assert.equal(info.email_verified, false);

    // Refresh rotates; the replaced token coming back is invalid_grant and ends the login.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, claims.sub);
    const live = await client.tokenIntrospection(config, refreshed.access_token);
    assert.equal(live.active, true);
    assert.equal(live.client_id, confidential.id);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token),
      (e) => e.error === 'invalid_grant');
    assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, false);

    // A second login, revoked (RFC 7009). Consent is remembered: the browser goes straight back.
    const verifier2 = client.randomPKCECodeVerifier();
    const callback2 = await visitUntilApp(page, client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier2), code_challenge_method: 'S256',
      state: 's2',
    }).href);
    const again = await client.authorizationCodeGrant(config, callback2,
      { pkceCodeVerifier: verifier2, expectedState: 's2' });
    await client.tokenRevocation(config, again.refresh_token);
    assert.equal((await client.tokenIntrospection(config, again.access_token)).active, false);

    // RP-initiated logout: back to the registered address with state, signed out of Sesame.
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye',
    });
    const after = await visitUntilApp(page, endSession.href);
    assert.equal(after.searchParams.get('state'), 'bye');
    const me = await page.goto(`${base}/me`);
    assert.equal(me.status(), 401);

    // A public client (no secret, PKCE): prompt=none without a session is login_required.
    const spaConfig = await client.discovery(new URL(base), spa.id, undefined, client.None(),
      { execute: [client.allowInsecureRequests] });
    const spaVerifier = client.randomPKCECodeVerifier();
    const spaChallenge = await client.calculatePKCECodeChallenge(spaVerifier);
    const silent = await visitUntilApp(page, client.buildAuthorizationUrl(spaConfig, {
      redirect_uri: REDIRECT, scope: 'openid email', code_challenge: spaChallenge,
      code_challenge_method: 'S256', state: 'quiet', prompt: 'none',
    }).href);
    await assert.rejects(
      client.authorizationCodeGrant(spaConfig, silent, { pkceCodeVerifier: spaVerifier, expectedState: 'quiet' }),
      (e) => e.error === 'login_required',
    );
    const spaCallback = await visitUntilApp(page, client.buildAuthorizationUrl(spaConfig, {
      redirect_uri: REDIRECT, scope: 'openid email', code_challenge: spaChallenge,
      code_challenge_method: 'S256', state: 'spa', nonce: 'spa-nonce',
    }).href, () => signInAndConsent(page));
    const spaTokens = await client.authorizationCodeGrant(spaConfig, spaCallback,
      { pkceCodeVerifier: spaVerifier, expectedState: 'spa', expectedNonce: 'spa-nonce' });
    assert.equal(spaTokens.claims().email, EMAIL);
    assert.equal(spaTokens.refresh_token, undefined, 'no offline_access, no refresh token');
    // The same code again: invalid_grant.
    await assert.rejects(
      client.authorizationCodeGrant(spaConfig, spaCallback, { pkceCodeVerifier: spaVerifier, expectedState: 'spa' }),
      (e) => e.error === 'invalid_grant',
    );
    console.log('openid-client: every flow passed');
  } finally {
    await browser.close();
    app.close();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
