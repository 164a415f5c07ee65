// The example server, run as a real process and spoken to over loopback HTTP: the protected
// route refuses without a session and answers with one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

test('the example server protects /private', async (t) => {
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
  const base = /listening on (\S+)/.exec(out)[1];
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
