// The shared table of cases (embed/cases.json) through the Node wrapper: the same inputs give
// the same outcomes as under the Rust host and in Python.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { MemoryOutbox, Sesame, SesameError } from '../sesame.js';

const table = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A result as JSON-like data with snake_case fields, the table's vocabulary. */
function normalise(value) {
  if (value === undefined || value === null) return null;
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

/** One table call through the wrapper method of the same (camelCase) name. */
function call(auth, name, a) {
  const client = { address: a.address, userAgent: a.user_agent };
  switch (name) {
    case 'register': return auth.register(a.email, a.password, a.username);
    case 'create_user': return auth.createUser({ email: a.email, password: a.password, username: a.username, roles: a.roles });
    case 'import_user': return auth.importUser({ email: a.email, passwordHash: a.password_hash, username: a.username, roles: a.roles, active: a.active, confirmed: a.confirmed }, a.flask_security_salt);
    case 'get_user': return auth.getUser(a.id);
    case 'list_users': return auth.listUsers({ after: a.after, limit: a.limit });
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
      if (step.save) saved[step.save] = result.token;
    });
  });
}
