// WebAuthn through the Node wrapper: the ceremony options a browser needs, and clear errors for
// answers that do not check out. (A full sign-in with a real authenticator is tested through the
// server and in Chromium; the rules are the same component's.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as sesame from '../sesame.js';
import { MemoryOutbox, Sesame } from '../sesame.js';

const { config } = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));
const [EMAIL, PASSWORD] = ['ada@example.com', 'analytical engine'];

const refused = (cls) => (e) => e instanceof cls && e.code === cls.code && e.message.length > 0;

function signedIn() {
  const auth = new Sesame({ config, outbox: new MemoryOutbox() });
  auth.createUser({ email: EMAIL, password: PASSWORD });
  return { auth, token: auth.login(EMAIL, PASSWORD).token };
}

test('registration options name the user by a random handle', () => {
  const { auth, token } = signedIn();
  const ceremony = auth.webauthnRegisterBegin(token, 'laptop', 'first');
  const options = JSON.parse(ceremony.optionsJson);
  const publicKey = options.publicKey ?? options;
  assert.ok(publicKey.challenge);
  assert.ok(!JSON.stringify(publicKey.user.id).includes(EMAIL));
  assert.deepEqual(auth.webauthnCredentials(token), []);
});

test('answers that do not check out are refused', () => {
  const { auth, token } = signedIn();
  const ceremony = auth.webauthnRegisterBegin(token, 'laptop', 'first');
  const notACredential = JSON.stringify({ id: 'x', type: 'public-key' });
  assert.throws(() => auth.webauthnRegisterFinish(token, ceremony.state, notACredential), refused(sesame.InvalidRequest));
  assert.throws(() => auth.webauthnRegisterBegin(token, 'laptop', 'sometimes'), refused(sesame.InvalidRequest));
});

test('unknown keys are clear errors, and sign-in options reveal nothing', () => {
  const { auth, token } = signedIn();
  assert.throws(() => auth.webauthnDelete(token, 'no such key'), refused(sesame.NotFound));
  for (const who of [EMAIL, 'nobody@example.com', undefined]) {
    assert.ok(JSON.parse(auth.webauthnAuthenticateBegin(who).optionsJson));
  }
});
