// The `admin` export: managing accounts and Sesame itself, for one caller. The component
// decides what the caller may do, with the rules of its `/admin/` HTTP API. Users are named by
// id or email address.

import { optText, text, texts } from './args.js';

const STATES = new Set(['pending', 'dead']);

function callerOf(caller) {
  if (caller === undefined || caller === null) return { tag: 'operator' };
  const { apiKey, login } = caller;
  if ((apiKey === undefined) === (login === undefined)) {
    throw new TypeError('give { apiKey } or { login }, or nothing for the host itself');
  }
  return apiKey !== undefined
    ? { tag: 'api-key', val: text('apiKey', apiKey) }
    : { tag: 'login', val: text('login', login) };
}

function state(value) {
  if (!STATES.has(value)) throw new TypeError(`state must be 'pending' or 'dead', not ${value}`);
  return value;
}

function optTime(name, value) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a time in ms`);
  return BigInt(value);
}

/** Admin operations for one caller; refusals throw the `SesameError` of their code. */
export class Admin {
  #sesame;
  #caller;

  constructor(sesame, caller) {
    this.#sesame = sesame;
    this.#caller = callerOf(caller);
  }

  /** Users in id order; with `query`, those whose email or username contains it. */
  listUsers({ query, after, limit = 100 } = {}) {
    return this.#sesame.call('admin', 'listUsers', this.#caller, optText('query', query), optText('after', after), limit);
  }

  /** A user with lockout state and permissions. */
  showUser(user) {
    return this.#sesame.call('admin', 'showUser', this.#caller, text('user', user));
  }

  /** Creates a user; `AlreadyExists` for a taken email or username. */
  createUser({ email, password, username, roles = [] }) {
    return this.#sesame.call('admin', 'createUser', this.#caller, {
      email: text('email', email),
      password: text('password', password),
      username: optText('username', username),
      roles: texts('roles', roles),
    });
  }

  /** Changes what is given; `active: false` ends every session and token login. */
  updateUser(user, { email, username, removeUsername = false, active, confirmed } = {}) {
    return this.#sesame.call('admin', 'updateUser', this.#caller, text('user', user), {
      email: optText('email', email),
      username: optText('username', username),
      removeUsername: Boolean(removeUsername),
      active: active === undefined ? undefined : Boolean(active),
      confirmed: confirmed === undefined ? undefined : Boolean(confirmed),
    });
  }

  /** Erases a user; returns the anonymous id their events now carry. */
  deleteUser(user) {
    return this.#sesame.call('admin', 'deleteUser', this.#caller, text('user', user));
  }

  /** A user's live sessions, newest first. */
  listSessions(user) {
    return this.#sesame.call('admin', 'listSessions', this.#caller, text('user', user));
  }

  /** Ends one session, or every session and token login; returns how many ended. */
  revokeSessions(user, sessionId) {
    return this.#sesame.call('admin', 'revokeSessions', this.#caller, text('user', user), optText('sessionId', sessionId));
  }

  /** A user's live token logins, newest first. */
  listTokenLogins(user) {
    return this.#sesame.call('admin', 'listTokenLogins', this.#caller, text('user', user));
  }

  /** Ends one token login of a user. */
  revokeTokenLogin(user, loginId) {
    this.#sesame.call('admin', 'revokeTokenLogin', this.#caller, text('user', user), text('loginId', loginId));
  }

  /** A user's TOTP state, recovery codes left and passkeys. */
  listFactors(user) {
    return this.#sesame.call('admin', 'listFactors', this.#caller, text('user', user));
  }

  /** Turns TOTP off, ends the user's logins and mails them; whether TOTP was on. */
  resetTotp(user) {
    return this.#sesame.call('admin', 'resetTotp', this.#caller, text('user', user));
  }

  /** Removes a passkey by credential ID or name and mails the user. */
  removePasskey(user, credential) {
    return this.#sesame.call('admin', 'removePasskey', this.#caller, text('user', user), text('credential', credential));
  }

  /** Grants an existing role. */
  grantRole(user, role) {
    return this.#sesame.call('admin', 'grantRole', this.#caller, text('user', user), text('role', role));
  }

  /** Takes a role away. */
  revokeRole(user, role) {
    return this.#sesame.call('admin', 'revokeRole', this.#caller, text('user', user), text('role', role));
  }

  /** Every role, by name. */
  listRoles() {
    return this.#sesame.call('admin', 'listRoles', this.#caller);
  }

  /** Creates or replaces a role. */
  putRole({ name, description = '', permissions = [] }) {
    return this.#sesame.call('admin', 'putRole', this.#caller, {
      name: text('name', name),
      description: text('description', description),
      permissions: texts('permissions', permissions),
    });
  }

  /** Deletes a role; whether it existed. */
  deleteRole(name) {
    return this.#sesame.call('admin', 'deleteRole', this.#caller, text('name', name));
  }

  /** Every API key, by name. */
  listApiKeys() {
    return this.#sesame.call('admin', 'listApiKeys', this.#caller);
  }

  /** Creates an API key; its only copy is in the result. */
  createApiKey(name, scopes) {
    return this.#sesame.call('admin', 'createApiKey', this.#caller, text('name', name), texts('scopes', scopes));
  }

  /** Revokes an API key by id. */
  revokeApiKey(id) {
    this.#sesame.call('admin', 'revokeApiKey', this.#caller, text('id', id));
  }

  /** Journal events, oldest first, narrowed by every field given. */
  listEvents({ user, kind, sinceMs, untilMs, after, limit = 100 } = {}) {
    return this.#sesame.call('admin', 'listEvents', this.#caller, {
      user: optText('user', user),
      kind: optText('kind', kind),
      sinceMs: optTime('sinceMs', sinceMs),
      untilMs: optTime('untilMs', untilMs),
      after: optText('after', after),
      limit,
    });
  }

  /** The host's mail queue (`pending` or `dead`), without bodies. */
  listMail({ state: which = 'pending', after, limit = 100 } = {}) {
    return this.#sesame.call('admin', 'listMail', this.#caller, state(which), optText('after', after), limit);
  }

  /** Puts a dead letter back in the queue, due now. */
  retryMail(id) {
    this.#sesame.call('admin', 'retryMail', this.#caller, text('id', id));
  }

  /** Deletes a queued message or dead letter. */
  deleteMail(id, which = 'pending') {
    this.#sesame.call('admin', 'deleteMail', this.#caller, state(which), text('id', id));
  }
}
