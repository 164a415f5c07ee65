// Two-factor sign-in, API tokens, API keys and the signer through the Node wrapper against the
// real component: the error class each refusal throws, and the security rules (a code works
// once, a recovery code works once, a reused refresh token ends its login).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import * as sesame from '../sesame.js';
import { MemoryOutbox, Sesame } from '../sesame.js';
import { nowStep, totpCode } from './authenticator.js';

const { config } = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));
const [EMAIL, PASSWORD] = ['ada@example.com', 'analytical engine'];

const fresh = (extra = {}) => new Sesame({ config: { ...config, ...extra }, outbox: new MemoryOutbox() });
/** A predicate for assert.throws: the error class and code of one WIT error case. */
const refused = (cls) => (e) => e instanceof cls && e instanceof sesame.SesameError && e.code === cls.code && e.message.length > 0;

/** Ada, signed in, with TOTP confirmed by the current step's code. */
function withTotp(auth) {
  auth.createUser({ email: EMAIL, password: PASSWORD });
  const { token } = auth.login(EMAIL, PASSWORD);
  const { secret } = auth.startTotp(token);
  auth.confirmTotp(token, totpCode(secret, nowStep()));
  return { token, secret };
}

function pending(auth) {
  const outcome = auth.beginLogin(EMAIL, PASSWORD, { address: '192.0.2.1' });
  assert.ok(outcome.secondFactor, 'a second factor is asked for');
  return outcome.secondFactor;
}

test('enrolment hands out the secret as a URI and a QR code', () => {
  const auth = fresh();
  auth.createUser({ email: EMAIL, password: PASSWORD });
  const { token } = auth.login(EMAIL, PASSWORD);
  const enrolment = auth.startTotp(token);
  assert.ok(enrolment.otpauthUri.startsWith('otpauth://totp/'));
  assert.ok(enrolment.otpauthUri.includes(`secret=${enrolment.secret}`));
  assert.ok(enrolment.qrSvg.startsWith('<svg'));
  assert.deepEqual(auth.twoFactorStatus(token), { totpEnabled: false, emailEnabled: false, enrolmentPending: true, recoveryCodesLeft: 0 });
  auth.confirmTotp(token, totpCode(enrolment.secret, nowStep()));
  assert.throws(() => auth.startTotp(token), refused(sesame.AlreadyExists));
});

test('a password alone gives no session once TOTP is on; a code finishes the sign-in once', () => {
  const auth = fresh();
  const { secret } = withTotp(auth);
  assert.throws(() => auth.login(EMAIL, PASSWORD), refused(sesame.SecondFactorRequired));
  assert.throws(() => auth.issueTokens(EMAIL, PASSWORD), refused(sesame.SecondFactorRequired));
  assert.throws(() => auth.beginLogin(EMAIL, 'difference engine'), refused(sesame.InvalidCredentials));
  const p = pending(auth);
  assert.deepEqual(p.methods, ['totp']);
  const session = auth.completeTotp(p.token, totpCode(secret, nowStep() + 1));
  assert.equal(auth.validate(session.token).user.email, EMAIL);
  assert.throws(() => auth.completeTotp(p.token, totpCode(secret, nowStep() + 1)), refused(sesame.Unauthenticated));
});

test('wrong, replayed and malformed codes', () => {
  const auth = fresh();
  const { secret } = withTotp(auth);
  const confirming = totpCode(secret, nowStep());
  const p = pending(auth);
  assert.throws(() => auth.completeTotp(p.token, confirming), refused(sesame.InvalidCode));
  assert.throws(() => auth.completeTotp(p.token, totpCode(secret, nowStep() + 5)), refused(sesame.InvalidCode));
  assert.throws(() => auth.completeTotp(p.token, '12ab56'), refused(sesame.InvalidRequest));
  assert.throws(() => auth.completeTotp(p.token, '12345\udc80'), refused(sesame.InvalidEncoding));
  assert.throws(() => auth.completeTotp(p.token, 123456), TypeError);
  const code = totpCode(secret, nowStep() + 1);
  auth.completeTotp(p.token, code);
  assert.throws(() => auth.completeTotp(pending(auth).token, code), refused(sesame.InvalidCode));
});

test('recovery codes work once and a new set replaces the old', () => {
  const auth = fresh();
  const { token } = withTotp(auth);
  const old = auth.generateRecoveryCodes(token);
  const codes = auth.generateRecoveryCodes(token);
  assert.equal(new Set(codes).size, 10);
  assert.ok(!codes.some((c) => old.includes(c)));
  assert.deepEqual(pending(auth).methods, ['totp', 'recovery-code']);
  assert.throws(() => auth.completeRecovery(pending(auth).token, old[0]), refused(sesame.InvalidCode));
  auth.completeRecovery(pending(auth).token, codes[0]);
  assert.throws(() => auth.completeRecovery(pending(auth).token, codes[0]), refused(sesame.InvalidCode));
  assert.equal(auth.twoFactorStatus(token).recoveryCodesLeft, 9);
});

test('turning two-factor off needs proof', () => {
  const auth = fresh();
  const { token } = withTotp(auth);
  const codes = auth.generateRecoveryCodes(token);
  assert.throws(() => auth.disableTwoFactor(token), TypeError);
  assert.throws(() => auth.disableTwoFactor(token, { password: PASSWORD, code: codes[0] }), TypeError);
  assert.throws(() => auth.disableTwoFactor(token, { password: 'difference engine' }), refused(sesame.InvalidCredentials));
  assert.throws(() => auth.disableTwoFactor('not-a-token', { password: PASSWORD }), refused(sesame.Unauthenticated));
  auth.disableTwoFactor(token, { code: codes[0] });
  assert.throws(() => auth.disableTwoFactor(token, { password: PASSWORD }), refused(sesame.NotFound));
  assert.ok(auth.beginLogin(EMAIL, PASSWORD).signedIn);
});

test('refresh rotates, and a reused refresh token ends the login', () => {
  const auth = fresh();
  auth.createUser({ email: EMAIL, password: PASSWORD, roles: ['staff'] });
  const first = auth.issueTokens(EMAIL, PASSWORD);
  const claims = auth.verifyAccess(first.accessToken);
  assert.equal(claims.userId, first.user.id);
  assert.deepEqual(claims.roles, ['staff']);
  const second = auth.refreshTokens(first.refreshToken);
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.equal(second.refreshExpiresAtMs, first.refreshExpiresAtMs);
  assert.throws(() => auth.refreshTokens(first.refreshToken), refused(sesame.Unauthenticated));
  assert.throws(() => auth.refreshTokens(second.refreshToken), refused(sesame.Unauthenticated));
  assert.ok(auth.outbox.events.some((e) => e.kind === 'refresh-token-reused'));
  for (const bad of ['', 'not-a-refresh-token', first.accessToken, 'A'.repeat(43)]) {
    assert.throws(() => auth.refreshTokens(bad), refused(sesame.Unauthenticated));
  }
});

test('an expired refresh token is refused', async () => {
  const auth = fresh({ SESAME_ACCESS_TOKEN_SECS: '1', SESAME_REFRESH_ABSOLUTE_SECS: '1', SESAME_REFRESH_IDLE_SECS: '1' });
  auth.createUser({ email: EMAIL, password: PASSWORD });
  const pair = auth.issueTokens(EMAIL, PASSWORD);
  await sleep(1200); // past the login's one-second lifetime
  assert.throws(() => auth.refreshTokens(pair.refreshToken), refused(sesame.Unauthenticated));
});

test('revocation, session tokens and key rotation', () => {
  const auth = fresh();
  auth.createUser({ email: EMAIL, password: PASSWORD });
  const session = auth.login(EMAIL, PASSWORD);
  const pair = auth.issueTokensForSession(session.token);
  auth.revokeToken(pair.accessToken);
  assert.throws(() => auth.refreshTokens(pair.refreshToken), refused(sesame.Unauthenticated));
  assert.throws(() => auth.issueTokensForSession('not-a-token'), refused(sesame.Unauthenticated));
  const before = auth.issueTokensForSession(session.token);
  assert.deepEqual(auth.rotateKeys().map((k) => k.number), [1, 2]);
  // Per generation the EdDSA access-token key and the ES256 ID token key, and the RS256 key of
  // the generation the rotation made.
  assert.deepEqual(JSON.parse(auth.jwks()).keys.map((k) => k.alg),
    ['EdDSA', 'ES256', 'RS256', 'EdDSA', 'ES256']);
  assert.equal(auth.verifyAccess(before.accessToken).userId, before.user.id);
  auth.setActive(EMAIL, false);
  assert.throws(() => auth.refreshTokens(before.refreshToken), refused(sesame.Unauthenticated));
});

test('API keys', () => {
  const auth = fresh();
  const created = auth.createApiKey('billing', ['invoices:read']);
  assert.ok(created.key.startsWith('sesame_ak_'));
  assert.deepEqual(auth.verifyApiKey(created.key), created.info);
  assert.deepEqual(auth.listApiKeys(), [created.info]);
  assert.throws(() => auth.createApiKey('', ['invoices:read']), refused(sesame.InvalidRequest));
  assert.throws(() => auth.createApiKey('reports', ['Not A Scope']), refused(sesame.InvalidRequest));
  assert.throws(() => auth.createApiKey('reports', 'invoices:read'), TypeError);
  assert.throws(() => auth.revokeApiKey('no-such-key'), refused(sesame.NotFound));
  auth.revokeApiKey(created.info.id);
  assert.throws(() => auth.verifyApiKey(created.key), refused(sesame.Unauthenticated));
});

test('signer', () => {
  const auth = fresh();
  const payload = new Uint8Array([0, 97, 100, 97, 255]);
  const token = auth.sign('invite', payload);
  const verified = auth.verifySigned('invite', token, 3600);
  assert.deepEqual(verified.payload, payload);
  assert.ok(verified.issuedAtSecs > 0);
  assert.throws(() => auth.verifySigned('reset', token, 3600), refused(sesame.InvalidToken));
  assert.throws(() => auth.verifySigned('invite', `${token.slice(0, -2)}AA`, 3600), refused(sesame.InvalidToken));
  assert.throws(() => auth.sign('Not A Purpose', payload), refused(sesame.InvalidRequest));
  assert.throws(() => auth.verifySigned('invite', token, -1), refused(sesame.InvalidRequest));
  assert.throws(() => auth.sign('invite', 'text'), TypeError);
});
