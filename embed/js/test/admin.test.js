// The `admin` export through the Node wrapper: every operation, and its refusals for callers
// without the right.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { MemoryOutbox, Sesame, SesameError } from '../sesame.js';

const { config } = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));

const fresh = () => new Sesame({ config, outbox: new MemoryOutbox() });

const refused = (code) => (e) => e instanceof SesameError && e.code === code && e.message.length > 0;

test('an operator runs every operation', () => {
  const auth = fresh();
  const admin = auth.admin();
  const grace = admin.createUser({ email: 'grace@example.com', password: 'compiler pioneer', username: 'grace' });
  assert.throws(() => admin.createUser({ email: 'GRACE@example.com', password: 'compiler pioneer' }), refused('already-exists'));

  const page = admin.listUsers({ query: 'GRACE' });
  assert.deepEqual(page.users.map((u) => u.id), [grace.id]);
  assert.equal(page.next, undefined);
  const details = admin.showUser('grace@example.com');
  assert.equal(details.user.email, 'grace@example.com');
  assert.equal(details.hasPassword, true);

  const changed = admin.updateUser(grace.id, { removeUsername: true, confirmed: true });
  assert.equal(changed.username, undefined);
  assert.equal(typeof changed.confirmedAtMs, 'number');

  auth.login('grace@example.com', 'compiler pioneer');
  const pair = auth.issueTokens('grace@example.com', 'compiler pioneer');
  const loginId = auth.verifyAccess(pair.accessToken).loginId;
  assert.deepEqual(admin.listTokenLogins(grace.id).map((t) => t.id), [loginId]);
  admin.revokeTokenLogin(grace.id, loginId);
  const sessions = admin.listSessions(grace.id);
  assert.equal(sessions.length, 1);
  assert.equal(admin.revokeSessions(grace.id, sessions[0].id), 1);
  assert.deepEqual(admin.listSessions(grace.id), []);

  const factors = admin.listFactors(grace.id);
  assert.equal(factors.totpEnabled, false);
  assert.deepEqual(factors.passkeys, []);
  assert.equal(admin.resetTotp(grace.id), false);
  assert.throws(() => admin.removePasskey(grace.id, 'no such key'), refused('not-found'));

  admin.putRole({ name: 'editor', permissions: ['write'] });
  assert.deepEqual(admin.listRoles().map((r) => r.name), ['editor']);
  assert.deepEqual(admin.grantRole(grace.id, 'editor').roles, ['editor']);
  assert.deepEqual(admin.revokeRole(grace.id, 'editor').roles, []);
  assert.equal(admin.deleteRole('editor'), true);

  const key = admin.createApiKey('ci', ['deploy']);
  assert.deepEqual(admin.listApiKeys().map((k) => k.id), [key.info.id]);
  admin.revokeApiKey(key.info.id);

  assert.deepEqual(admin.listMail({ state: 'dead' }).messages, []);
  assert.throws(() => admin.retryMail('0000000000001-n-1'), refused('not-found'));
  assert.throws(() => admin.deleteMail('0000000000001-n-1', 'dead'), refused('not-found'));
  assert.throws(() => admin.listMail({ state: 'lost' }), TypeError);

  const anonymous = admin.deleteUser('grace@example.com');
  assert.throws(() => admin.showUser(grace.id), refused('not-found'));
  const events = admin.listEvents({ kind: 'admin-action', limit: 500 }).events;
  for (const action of ['user.create', 'user.update', 'user.delete', 'role.delete:editor']) {
    assert.ok(events.some((e) => e.action === action), action);
  }
  assert.ok(events.every((e) => e.actor === 'operator'));
  const all = admin.listEvents({ limit: 500, sinceMs: 0 }).events;
  assert.ok(!all.some((e) => e.userId === grace.id));
  assert.ok(all.some((e) => e.userId === anonymous));
});

test('keys and logins are held to their rights', () => {
  const auth = fresh();
  const operator = auth.admin();
  operator.createUser({ email: 'ada@example.com', password: 'analytical engine' });
  const desk = operator.createApiKey('desk', ['admin:users']);
  const deploy = operator.createApiKey('deploy', ['deploy']);

  const asDesk = auth.admin({ apiKey: desk.key });
  assert.equal(asDesk.showUser('ada@example.com').user.email, 'ada@example.com');
  assert.throws(() => asDesk.listEvents(), refused('forbidden'));
  assert.throws(() => asDesk.createApiKey('mine', ['admin']), refused('forbidden'));
  assert.throws(() => auth.admin({ apiKey: deploy.key }).listUsers(), refused('forbidden'));

  const session = auth.login('ada@example.com', 'analytical engine');
  assert.throws(() => auth.admin({ login: session.token }).listUsers(), refused('forbidden'));
  operator.putRole({ name: 'ops', permissions: ['admin'] });
  operator.grantRole('ada@example.com', 'ops');
  assert.ok(auth.admin({ login: session.token }).listUsers().users.length > 0);
  assert.throws(() => auth.admin({ login: 'not a token' }).listUsers(), refused('unauthenticated'));
  assert.throws(() => auth.admin({ apiKey: desk.key, login: session.token }), TypeError);
});
