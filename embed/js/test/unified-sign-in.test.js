// The WIT 1.0 additions through the Node wrapper against the real component: signing in with a
// mailed code or link on an account without a password, email as the second factor, and
// changing the address and recovering the username. Codes and links are read from the mails
// the outbox received, as a person would read them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { MemoryOutbox, SIGN_IN_METHODS, Sesame, SesameError } from '../sesame.js';

const { config } = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));
const PASSWORD = 'analytical engine';

/** A Sesame offering the sign-in `methods` (`SESAME_US_METHODS`), or the default ones. */
const deployment = (methods) =>
  new Sesame({ config: methods ? { ...config, SESAME_US_METHODS: methods } : config, outbox: new MemoryOutbox() });

const refused = (code) => (e) => e instanceof SesameError && e.code === code && e.message.length > 0;

const mailsTo = (auth, to) => auth.outbox.mails.filter((m) => m.to === to);

/** The 8-digit code of the last mail to `to`. */
function mailedCode(auth, to) {
  const { text } = mailsTo(auth, to).at(-1);
  const match = /\b(\d{8})\b/.exec(text);
  assert.ok(match, text);
  return match[1];
}

/** The `token` parameter of the link to `path` in the last mail to `to` that has one. */
function mailedLinkToken(auth, to, path) {
  const pattern = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\?token=([\\w.~-]+)`);
  for (const mail of mailsTo(auth, to).reverse()) {
    const match = pattern.exec(mail.text);
    if (match) return match[1];
  }
  assert.fail(`no ${path} link mailed to ${to}`);
}

/** Another code of the same shape. */
const wrong = (code) => [...code].map((c) => String((Number(c) + 1) % 10)).join('');

test('a passwordless account signs in with the mailed code or link', () => {
  const auth = deployment('password,email');
  assert.deepEqual(auth.signInMethods(), ['password', 'email']);
  auth.registerWithoutPassword('ada@example.com', 'ada');
  const [user] = auth.listUsers();
  assert.equal(user.email, 'ada@example.com');
  assert.deepEqual(auth.activeSignInMethods(user.id), ['email']);
  assert.throws(() => auth.login('ada@example.com', ''), refused('invalid-credentials'));

  let sent = auth.sendCode('ada', { address: '192.0.2.7' });
  assert.equal(sent.token.length, 43);
  assert.match(sent.deviceCode, /^\d{6}$/);
  assert.equal(typeof sent.expiresAtMs, 'number');
  const code = mailedCode(auth, 'ada@example.com');
  assert.throws(() => auth.signInWithCode(sent.token, wrong(code)), refused('invalid-code'));
  // The code works only together with the asking client's token.
  assert.throws(() => auth.signInWithCode('not-the-token', code), refused('unauthenticated'));
  const { signedIn } = auth.signInWithCode(sent.token, code, { address: '192.0.2.7' });
  assert.equal(auth.validate(signedIn.token).user.id, user.id);
  assert.throws(() => auth.signInWithCode(sent.token, code), refused('unauthenticated'));

  // The link, opened on another device: nothing happens without the right device code.
  sent = auth.sendCode('ada@example.com');
  const link = mailedLinkToken(auth, 'ada@example.com', '/us-verify-link');
  assert.deepEqual(auth.openLink(link), { deviceCodeNeeded: true });
  assert.throws(() => auth.openLink(link, { deviceCode: wrong(sent.deviceCode) }), refused('invalid-code'));
  const opened = auth.openLink(link, { deviceCode: sent.deviceCode });
  assert.equal(opened.signedIn.user.id, user.id);
  assert.throws(() => auth.openLink(link, { token: sent.token }), refused('invalid-token'));
  assert.throws(() => auth.openLink('forged.link.value'), refused('invalid-token'));
});

test('asking for a code answers the same for an unknown account', () => {
  const auth = deployment('password,email');
  auth.registerWithoutPassword('ada@example.com');
  const mails = auth.outbox.mails.length;
  const sent = auth.sendCode('nobody@example.com');
  assert.equal(sent.token.length, 43);
  assert.match(sent.deviceCode, /^\d{6}$/);
  assert.equal(auth.outbox.mails.length, mails);
  assert.throws(() => auth.signInWithCode(sent.token, '12345678'), refused('invalid-code'));
});

test('mailed codes are refused where the deployment does not offer them', () => {
  const auth = deployment();
  assert.deepEqual(auth.signInMethods(), ['password', 'passkey']);
  assert.ok(auth.signInMethods().every((m) => SIGN_IN_METHODS.includes(m)));
  assert.throws(() => auth.sendCode('ada@example.com'), refused('forbidden'));
  assert.throws(() => auth.registerWithoutPassword('ada@example.com'), refused('invalid-request'));
  assert.throws(() => auth.signInWithAuthenticator('ada@example.com', '123456'), refused('forbidden'));
});

test('email as the second factor', () => {
  const auth = deployment();
  auth.createUser({ email: 'ada@example.com', password: PASSWORD });
  const session = auth.login('ada@example.com', PASSWORD);
  assert.equal(auth.twoFactorStatus(session.token).emailEnabled, false);
  auth.startEmailTwoFactor(session.token);
  let code = mailedCode(auth, 'ada@example.com');
  assert.throws(() => auth.confirmEmailTwoFactor(session.token, wrong(code)), refused('invalid-code'));
  auth.confirmEmailTwoFactor(session.token, code);
  assert.equal(auth.twoFactorStatus(session.token).emailEnabled, true);
  assert.equal(auth.twoFactorRequired(session.user.id), true);
  assert.throws(() => auth.startEmailTwoFactor(session.token), refused('already-exists'));

  const { secondFactor } = auth.beginLogin('ada@example.com', PASSWORD);
  assert.ok(secondFactor.methods.includes('email'), secondFactor.methods);
  auth.sendEmailCode(secondFactor.token);
  code = mailedCode(auth, 'ada@example.com');
  assert.throws(() => auth.completeEmail(secondFactor.token, wrong(code)), refused('invalid-code'));
  const signedIn = auth.completeEmail(secondFactor.token, code, { address: '192.0.2.8' });
  assert.equal(signedIn.user.email, 'ada@example.com');
  assert.throws(() => auth.completeEmail(secondFactor.token, code), refused('unauthenticated'));
});

test('changing the address and recovering the username', () => {
  const auth = deployment();
  auth.createUser({ email: 'ada@example.com', password: PASSWORD, username: 'ada' });
  const session = auth.login('ada', PASSWORD);

  auth.requestEmailChange(session.token, 'lovelace@example.com');
  assert.ok(mailsTo(auth, 'ada@example.com').length > 0, 'the old address is told');
  const link = mailedLinkToken(auth, 'lovelace@example.com', '/change-email/confirm');
  assert.throws(() => auth.confirmEmailChange(`${link}x`), refused('invalid-token'));
  const changed = auth.confirmEmailChange(link);
  assert.equal(changed.email, 'lovelace@example.com');
  assert.equal(typeof changed.confirmedAtMs, 'number');
  assert.throws(() => auth.confirmEmailChange(link), refused('invalid-token'));
  assert.ok(auth.outbox.events.some((e) => e.kind === 'email-changed'));

  assert.equal(auth.changeUsername(session.token, 'countess').username, 'countess');
  assert.ok(auth.outbox.events.some((e) => e.kind === 'username-changed'));
  assert.throws(() => auth.changeUsername(session.token, 'no spaces'), refused('invalid-username'));

  auth.recoverUsername('lovelace@example.com');
  assert.match(mailsTo(auth, 'lovelace@example.com').at(-1).text, /countess/);
  const mails = auth.outbox.mails.length;
  auth.recoverUsername('nobody@example.com');
  assert.equal(auth.outbox.mails.length, mails);
});

test('undoing an address change from the old address ends every session', () => {
  const auth = deployment();
  auth.createUser({ email: 'ada@example.com', password: PASSWORD });
  const session = auth.login('ada@example.com', PASSWORD);
  auth.requestEmailChange(session.token, 'lovelace@example.com');
  auth.confirmEmailChange(mailedLinkToken(auth, 'lovelace@example.com', '/change-email/confirm'));
  const undo = mailedLinkToken(auth, 'ada@example.com', '/change-email/restore');
  auth.restoreEmail(undo);
  assert.throws(() => auth.validate(session.token), refused('unauthenticated'));
  assert.deepEqual(auth.listUsers().map((u) => u.email), ['ada@example.com']);
  assert.throws(() => auth.restoreEmail(undo), refused('invalid-token'));
});

test('a code sign-in ends after five wrong codes', () => {
  const auth = deployment('password,email');
  auth.registerWithoutPassword('ada@example.com');
  const sent = auth.sendCode('ada@example.com');
  const code = mailedCode(auth, 'ada@example.com');
  for (let i = 0; i < 5; i += 1) {
    assert.throws(() => auth.signInWithCode(sent.token, wrong(code)), refused('invalid-code'));
  }
  assert.throws(() => auth.signInWithCode(sent.token, code), refused('unauthenticated'));
});

test('moving to an address another account uses answers the same', () => {
  const auth = deployment();
  auth.createUser({ email: 'ada@example.com', password: PASSWORD });
  auth.createUser({ email: 'bob@example.com', password: PASSWORD });
  const session = auth.login('ada@example.com', PASSWORD);
  auth.requestEmailChange(session.token, 'bob@example.com');
  // Bob is told; no link that would move Ada onto his address is mailed anywhere.
  assert.ok(mailsTo(auth, 'bob@example.com').length > 0);
  assert.ok(!auth.outbox.mails.some((m) => m.text.includes('/change-email/confirm?token=')));
  assert.equal(auth.validate(session.token).user.email, 'ada@example.com');
});

test('new calls check their arguments before the component', () => {
  const auth = deployment();
  assert.throws(() => auth.sendCode(Buffer.from('ada@example.com')), TypeError);
  assert.throws(() => auth.recoverUsername('ada\udc80@example.com'), refused('invalid-encoding'));
  assert.throws(() => auth.openLink('link', { token: 1 }), TypeError);
  assert.throws(() => auth.completeEmail('pending', '1234\udc80'), refused('invalid-encoding'));
  assert.deepEqual(auth.listUsers(), []);
});
