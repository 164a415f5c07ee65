// The shared table of cases (embed/cases.json) through the Node wrapper: the same inputs give
// the same outcomes as under the Rust host and in Python.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// By the package's name, so the same file also runs against an installed tarball.
import { MemoryOutbox, Sesame, SesameError } from 'sesame-embed';
import { nowStep, totpCode } from './authenticator.js';

const table = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A result as JSON-like data with snake_case fields, the table's vocabulary. */
function normalise(value) {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return new TextDecoder('utf-8', { fatal: true }).decode(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), normalise(v)]));
  }
  return value;
}

/** The table's subset comparison. */
function matches(expected, actual) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const keys = Object.keys(expected);
    if (keys.length === 1 && keys[0] === '$len') {
      return Array.isArray(actual) && actual.length === expected.$len;
    }
    if (keys.length === 1 && keys[0] === '$string') {
      return typeof actual === 'string' && actual !== '';
    }
    return (
      actual !== null &&
      typeof actual === 'object' &&
      keys.every((k) => k in actual && matches(expected[k], actual[k]))
    );
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((v, i) => matches(v, actual[i]));
  }
  return expected === actual;
}

/** The table's `totp_code` step: the code `offset` steps from now, or with `wrong` the lowest
 * code matching no step from two before to two after now. */
function tableTotpCode({ secret, offset, wrong }) {
  const now = nowStep();
  if (wrong) {
    const near = new Set([-2, -1, 0, 1, 2].map((d) => totpCode(secret, now + d)));
    for (let n = 0; ; n++) {
      const code = String(n).padStart(6, '0');
      if (!near.has(code)) return code;
    }
  }
  return totpCode(secret, now + offset);
}

/** The table's field path (dotted; list indexes as numbers; '' for the value itself). */
function pick(value, path) {
  return path === '' ? value : path.split('.').reduce((v, part) => v[part], value);
}

/** One table call through the wrapper method of the same (camelCase) name. */
function call(auth, name, a) {
  const client = { address: a.address, userAgent: a.user_agent };
  switch (name) {
    case 'register': return auth.register(a.email, a.password, a.username);
    case 'create_user': return auth.createUser({ email: a.email, password: a.password, username: a.username, roles: a.roles });
    case 'import_user': return auth.importUser({ email: a.email, passwordHash: a.password_hash, username: a.username, roles: a.roles, active: a.active, confirmed: a.confirmed }, a.flask_security_salt);
    case 'get_user': return auth.getUser(a.id);
    case 'list_users': return auth.listUsers({ after: a.after, limit: a.limit });
    case 'verify_password': return auth.verifyPassword(a.token, a.password, client) > 0n;
    case 'change_password': return auth.changePassword(a.token, a.current, a.new, client);
    case 'login': return auth.login(a.identity, a.password, client);
    case 'validate': return auth.validate(a.token);
    case 'logout': return auth.logout(a.token);
    case 'list_sessions': return auth.listSessions(a.token);
    case 'revoke': return auth.revoke(a.token, a.id);
    case 'revoke_all': return auth.revokeAll(a.token);
    case 'put_role': return auth.putRole({ name: a.name, description: a.description, permissions: a.permissions });
    case 'delete_role': return auth.deleteRole(a.name);
    case 'list_roles': return auth.listRoles();
    case 'grant_role': return auth.grantRole(a.email, a.role);
    case 'revoke_role': return auth.revokeRole(a.email, a.role);
    case 'set_active': return auth.setActive(a.email, a.active);
    case 'two_factor_required': return auth.twoFactorRequired(a.user_id);
    case 'two_factor_status': return auth.twoFactorStatus(a.token);
    case 'start_totp': return auth.startTotp(a.token);
    case 'confirm_totp': return auth.confirmTotp(a.token, a.code);
    case 'disable_two_factor': return auth.disableTwoFactor(a.token, a.password !== undefined ? { password: a.password } : { code: a.code });
    case 'generate_recovery_codes': return auth.generateRecoveryCodes(a.token);
    case 'begin_login': return auth.beginLogin(a.identity, a.password, client);
    case 'complete_totp': return auth.completeTotp(a.pending_token, a.code, client);
    case 'complete_recovery': return auth.completeRecovery(a.pending_token, a.code, client);
    case 'issue_tokens': return auth.issueTokens(a.identity, a.password, client);
    case 'issue_tokens_for_session': return auth.issueTokensForSession(a.session_token, client);
    case 'refresh_tokens': return auth.refreshTokens(a.refresh_token);
    case 'revoke_token': return auth.revokeToken(a.token);
    case 'verify_access': return auth.verifyAccess(a.access_token);
    case 'rotate_keys': return auth.rotateKeys();
    case 'list_keys': return auth.listKeys();
    case 'create_api_key': return auth.createApiKey(a.name, a.scopes);
    case 'list_api_keys': return auth.listApiKeys();
    case 'revoke_api_key': return auth.revokeApiKey(a.id);
    case 'verify_api_key': return auth.verifyApiKey(a.key);
    case 'sign': return auth.sign(a.purpose, new TextEncoder().encode(a.payload));
    case 'verify_signed': return auth.verifySigned(a.purpose, a.token, a.max_age_secs);
    case 'totp_code': return tableTotpCode(a);
    default: throw new Error(`unknown call in cases.json: ${name}`);
  }
}

for (const c of table.cases) {
  test(c.name, () => {
    const auth = new Sesame({ config: table.config, outbox: new MemoryOutbox() });
    const saved = {};
    c.steps.forEach((step, i) => {
      const args = Object.fromEntries(
        Object.entries(step.args).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('@') ? saved[v.slice(1)] : v]),
      );
      const where = `step ${i} (${step.call})`;
      let result;
      try {
        result = call(auth, step.call, args);
      } catch (e) {
        assert.ok(e instanceof SesameError, `${where}: ${e}`);
        assert.ok('error' in step.expect, `${where}: unexpected ${e.code}: ${e.message}`);
        assert.equal(e.code, step.expect.error, `${where}: ${e.message}`);
        assert.ok(e.message.length > 0, `${where}: an error must carry a message`);
        return;
      }
      assert.ok('ok' in step.expect, `${where}: expected ${JSON.stringify(step.expect)}`);
      const actual = normalise(result);
      assert.ok(matches(step.expect.ok, actual), `${where}: ${JSON.stringify(actual)}`);
      if (typeof step.save === 'string') saved[step.save] = actual.token;
      else if (step.save) for (const [name, path] of Object.entries(step.save)) saved[name] = pick(actual, path);
    });
  });
}
