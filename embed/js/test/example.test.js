// The example server, run as a real process and spoken to over loopback HTTP: the protected
// route refuses without a session and answers with one; TOTP and recovery codes finish a sign-in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { nowStep, totpCode } from './authenticator.js';

/** Starts the example server on a free loopback port; its base URL. */
async function start(t) {
  const server = spawn(process.execPath, [fileURLToPath(new URL('../examples/server.js', import.meta.url))], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => server.kill());
  let out = '';
  while (!/listening on (\S+)/.test(out)) {
    const [chunk] = await once(server.stdout, 'data');
    out += chunk;
  }
  return /listening on (\S+)/.exec(out)[1];
}

test('the example server protects /private', async (t) => {
  const base = await start(t);
  const post = (path, body) => fetch(base + path, { method: 'POST', body });

  let res = await fetch(`${base}/private`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'unauthenticated');

  res = await post('/register', JSON.stringify({ email: 'ada@example.com', password: 'analytical engine' }));
  assert.equal(res.status, 200);
  res = await post('/login', JSON.stringify({ email: 'ada@example.com', password: 'wrong password' }));
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'invalid-credentials');
  res = await post('/login', '{not json');
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, 'malformed-json');

  res = await post('/login', JSON.stringify({ email: 'ada@example.com', password: 'analytical engine' }));
  assert.equal(res.status, 200);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  assert.match(res.headers.get('set-cookie'), /HttpOnly/);
  res = await fetch(`${base}/private`, { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { hello: 'ada@example.com', roles: [] });
});

test('the example server signs in with a second factor', async (t) => {
  const base = await start(t);
  let cookies = {};
  // A cookie jar of one origin: enough for the example's two cookies.
  const call = async (method, path, body) => {
    const cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(base + path, { method, headers: { cookie }, body: body && JSON.stringify(body) });
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';');
      const [name, value] = pair.split('=');
      if (value) cookies[name] = value;
      else delete cookies[name];
    }
    return [res.status, await res.json()];
  };
  const creds = { email: 'ada@example.com', password: 'analytical engine' };
  await call('POST', '/register', creds);
  let [status, body] = await call('POST', '/tf-setup', {});
  assert.deepEqual([status, body.error.code], [401, 'unauthenticated']);
  assert.deepEqual(await call('POST', '/login', creds), [200, { user: 'ada@example.com' }]);

  const [, enrolment] = await call('POST', '/tf-setup', {});
  assert.ok(enrolment.qr_svg.startsWith('<svg'));
  const step = nowStep();
  [status, body] = await call('POST', '/tf-confirm', { code: totpCode(enrolment.secret, step) });
  assert.equal(status, 200);
  const recovery = body.recovery_codes;
  assert.equal(recovery.length, 10);

  cookies = {};
  assert.deepEqual(await call('POST', '/login', creds), [200, { second_factor: ['totp', 'recovery-code'] }]);
  assert.deepEqual((await call('GET', '/private'))[0], 401);
  [status, body] = await call('POST', '/login/code', { code: totpCode(enrolment.secret, step) });
  assert.deepEqual([status, body.error.code], [401, 'invalid-code']); // used to confirm: a replay
  [status, body] = await call('POST', '/login/code', { codes: '123456' });
  assert.deepEqual([status, body.error.code], [400, 'invalid-request']);
  assert.deepEqual(await call('POST', '/login/code', { code: totpCode(enrolment.secret, step + 1) }), [200, { user: 'ada@example.com' }]);
  assert.equal((await call('GET', '/private'))[0], 200);

  await call('POST', '/login', creds);
  assert.deepEqual(await call('POST', '/login/code', { recovery_code: recovery[0] }), [200, { user: 'ada@example.com' }]);
  await call('POST', '/login', creds);
  [status, body] = await call('POST', '/login/code', { recovery_code: recovery[0] });
  assert.deepEqual([status, body.error.code], [401, 'invalid-code']);
});
