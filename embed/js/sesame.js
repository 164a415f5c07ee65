// Sesame's authentication component in Node: `sesame_guest_embed.wasm` (the
// `sesame:auth/embed` world) transpiled by jco into `generated/`, instantiated with a store,
// an outbox and WASI from @bytecodealliance/preview2-shim, its exports offered as methods.
// Every rule runs inside the component; nothing here decides who may sign in.

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cli, clocks, io, random } from '@bytecodealliance/preview2-shim';

import { instantiate } from './generated/sesame.js';
import { ErrorCode, errorFor } from './errors.js';
import { MemoryStore, StoreError } from './store.js';
import { optText, text, texts } from './args.js';
import { Admin } from './admin.js';
import { UnifiedSignIn, client, loginOutcome } from './unified-sign-in.js';

export * from './errors.js';
export { MemoryStore, StoreError } from './store.js';
export { Admin } from './admin.js';
export { SIGN_IN_METHODS } from './unified-sign-in.js';

/** The WIT package version this wrapper speaks. */
export const WIT_VERSION = '1.0.0';

/**
 * Logs mail (its text in full: it may hold single-use links) and events, so nothing is
 * dropped. An outbox that sends mail sends `mail.html`, when set, beside `mail.text` as
 * `multipart/alternative`.
 */
export class Outbox {
  sendMail(mail) {
    console.info(`sesame: mail to ${mail.to}: ${mail.subject}\n${mail.text}`);
  }

  emitEvent(event) {
    console.info(`sesame: event ${event.kind} user=${event.userId ?? '-'}`);
  }
}

/** Keeps every mail and event in memory (development, tests) without logging them. */
export class MemoryOutbox {
  mails = [];
  events = [];

  sendMail(mail) {
    this.mails.push(mail);
  }

  emitEvent(event) {
    this.events.push(event);
  }
}

// Compiled once per process; every Sesame instantiates the same modules.
const compiled = new Map();
function coreModule(name) {
  let module = compiled.get(name);
  if (module === undefined) {
    module = new WebAssembly.Module(readFileSync(new URL(`./generated/${name}`, import.meta.url)));
    compiled.set(name, module);
  }
  return module;
}

const STORE_ERROR_TAGS = new Set(['conflict', 'unavailable', 'too-large']);

/** Calls a store method, turning anything but a contract error into `unavailable`, so a
 * broken store fails the call cleanly instead of trapping the component. */
function guarded(store, method) {
  return (...args) => {
    try {
      return store[method](...args);
    } catch (e) {
      if (e instanceof StoreError && STORE_ERROR_TAGS.has(e.tag)) throw e;
      throw new StoreError('unavailable', String(e?.message ?? e));
    }
  };
}

// WIT u64 values arrive as BigInt; times in ms and counts fit a Number exactly.
function plain(value) {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Every `SESAME_*` setting the component reads, with its default (`settings.json`, which
 * `sesame settings --json` prints and a test keeps equal to core's table).
 */
export const SETTINGS = Object.freeze(
  Object.fromEntries(
    JSON.parse(readFileSync(new URL('./settings.json', import.meta.url), 'utf8')).map((row) => [
      row.name,
      row.default,
    ]),
  ),
);

/** Refuses a setting the component does not read: it would be ignored without a word. */
function checkSettings(config) {
  const unknown = Object.keys(config).filter((name) => !Object.hasOwn(SETTINGS, name)).sort();
  if (unknown.length > 0) {
    throw new TypeError(`unknown Sesame setting(s) ${unknown.join(', ')}; the known ones are in SETTINGS`);
  }
}

/**
 * Sesame's typed API inside the component. Options: `store` (default: a MemoryStore),
 * `secret` (base64url `SESAME_SECRET`, at least 32 bytes; default: `config.SESAME_SECRET`,
 * else a random one, so mailed links end with the object), `config` (further `SESAME_*` settings: the known ones and their defaults are `SETTINGS`; any
 * other name is a TypeError), `outbox`.
 *
 * Every refusal throws the `SesameError` subclass of its WIT error code (`InvalidCode`,
 * `Unauthenticated`, ...; `e.code` holds the code). A trap discards the instance (the next call
 * gets a fresh one) and throws `InternalError`. The `unified-sign-in` calls (mailed codes and
 * links, passwordless accounts) come from `UnifiedSignIn` (unified-sign-in.js).
 */
export class Sesame extends UnifiedSignIn {
  #env;
  #imports;
  #api = null;
  #calling = false;

  constructor({ store = new MemoryStore(), secret, config = {}, outbox = new Outbox() } = {}) {
    super();
    checkSettings(config);
    this.store = store;
    this.outbox = outbox;
    // Without a secret from the caller, a random one: sessions and mailed links then last as
    // long as this object, which suits a MemoryStore that does not outlive it either.
    const env = {
      ...config,
      SESAME_SECRET: secret ?? config.SESAME_SECRET ?? randomBytes(32).toString('base64url'),
    };
    this.#env = Object.entries(env).map(([k, v]) => [k, String(v)]);
    const environment = {
      getEnvironment: () => this.#env,
      getArguments: () => [],
      initialCwd: () => undefined,
    };
    this.#imports = {
      'sesame:auth/store': {
        get: guarded(store, 'get'),
        put: guarded(store, 'put'),
        delete: guarded(store, 'delete'),
        scan: guarded(store, 'scan'),
      },
      'sesame:auth/outbox': {
        sendMail: (mail) => outbox.sendMail(mail),
        emitEvent: (event) => outbox.emitEvent(plain(event)),
      },
      'sesame:auth/types': {},
      'wasi:cli/environment': environment,
      'wasi:cli/exit': cli.exit,
      'wasi:cli/stderr': cli.stderr,
      'wasi:cli/stdin': cli.stdin,
      'wasi:cli/stdout': cli.stdout,
      'wasi:cli/terminal-input': cli.terminalInput,
      'wasi:cli/terminal-output': cli.terminalOutput,
      'wasi:cli/terminal-stderr': cli.terminalStderr,
      'wasi:cli/terminal-stdin': cli.terminalStdin,
      'wasi:cli/terminal-stdout': cli.terminalStdout,
      'wasi:clocks/monotonic-clock': clocks.monotonicClock,
      'wasi:clocks/wall-clock': clocks.wallClock,
      'wasi:io/error': io.error,
      'wasi:io/poll': io.poll,
      'wasi:io/streams': io.streams,
      'wasi:random/random': random.random,
      // Hash maps in the component seed themselves from it (the access rules' regex engine).
      'wasi:random/insecure-seed': random.insecureSeed,
    };
  }

  /** Calls one export: `iface` is the camelCase interface name (`accounts`, `sessions`,
   * `roles`, `twoFactor`, `unifiedSignIn`, `tokens`, `apiKeys`, `signer`, `webauthn`, `admin`),
   * `func` its camelCase function name. */
  call(iface, func, ...args) {
    // jco lets a store or outbox call back into the instance it is serving; the component
    // would then run a second call in the middle of the first one's state. Refused instead.
    if (this.#calling) {
      throw new Error(
        'a store or outbox called Sesame while Sesame was calling it; queue the work and do it after the call returns',
      );
    }
    this.#api ??= instantiate(coreModule, this.#imports);
    const f = this.#api[iface]?.[func];
    if (typeof f !== 'function') {
      throw errorFor(ErrorCode.Internal, `the component does not export ${iface}.${func}`);
    }
    this.#calling = true;
    try {
      return plain(f(...args));
    } catch (e) {
      if (e?.payload && typeof e.payload.code === 'string') {
        throw errorFor(e.payload.code, e.payload.message);
      }
      this.#api = null;
      throw errorFor(ErrorCode.Internal, `${iface}.${func} trapped; the instance was discarded`, { cause: e });
    } finally {
      this.#calling = false;
    }
  }

  // ---- admin ------------------------------------------------------------------------------

  /**
   * The `admin` operations for a caller: this host itself without an argument (allowed
   * everything), else `{ apiKey }` or `{ login }` (a session or access token), held to the
   * rules of Sesame's `/admin/` API.
   */
  admin(caller) {
    return new Admin(this, caller);
  }

  // ---- accounts ---------------------------------------------------------------------------

  /** Self-service registration; the same answer for a taken email. */
  register(email, password, username) {
    this.call('accounts', 'register', text('email', email), text('password', password), optText('username', username));
  }

  /** Administrative creation; `already-exists` for a taken email. */
  createUser({ email, password, username, roles = [] }) {
    return this.call('accounts', 'createUser', {
      email: text('email', email),
      password: text('password', password),
      username: optText('username', username),
      roles: texts('roles', roles),
    });
  }

  /** Confirms an email address with the token from a confirmation mail. */
  confirmEmail(token) {
    return this.call('accounts', 'confirmEmail', text('token', token));
  }

  /** Mails a reset link if the address has an account; the same answer either way. */
  requestReset(email) {
    this.call('accounts', 'requestReset', text('email', email));
  }

  /** Sets a new password with a reset token; ends every session of the user. */
  resetPassword(token, newPassword) {
    return this.call('accounts', 'resetPassword', text('token', token), text('newPassword', newPassword));
  }

  /** Imports a user with a bcrypt, passlib pbkdf2 or argon2 hash. */
  importUser({ email, passwordHash, username, roles = [], active = true, confirmed = false }, flaskSecuritySalt) {
    return this.call(
      'accounts',
      'importUser',
      {
        email: text('email', email),
        username: optText('username', username),
        passwordHash: text('passwordHash', passwordHash),
        roles: texts('roles', roles),
        active: Boolean(active),
        confirmed: Boolean(confirmed),
      },
      optText('flaskSecuritySalt', flaskSecuritySalt),
    );
  }

  /** The user with this id, or undefined. */
  getUser(id) {
    return this.call('accounts', 'getUser', text('id', id));
  }

  /** Users in id order, strictly after `after`, at most `limit`. */
  listUsers({ after, limit = 100 } = {}) {
    if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) {
      throw errorFor(ErrorCode.InvalidRequest, 'limit must be an integer between 0 and 2^32-1');
    }
    return this.call('accounts', 'listUsers', optText('after', after), limit);
  }

  /** Changes the password of the session's user and returns a fresh session. */
  changePassword(token, current, next, clientInfo) {
    return this.call('accounts', 'changePassword', text('token', token), text('current', current), text('new', next), client(clientInfo));
  }

  /** Checks the password of the login of `token` again, so that login counts as freshly
   * authenticated; returns until when (ms since the epoch, a BigInt). A sign-in attempt in
   * every respect: throttled and counted into the lockout (`invalid-credentials`). */
  verifyPassword(token, password, clientInfo) {
    return this.call('accounts', 'verifyPassword', text('token', token), text('password', password), client(clientInfo));
  }

  /** Enables or disables an account (trusted callers); disabling ends every session and
   * token login at once. `not-found` for an unknown email. */
  setActive(email, active) {
    if (typeof active !== 'boolean') throw new TypeError('active must be a boolean');
    return this.call('accounts', 'setActive', text('email', email), active);
  }

  /** Asks to move the account signed in with `token` to `newEmail`: mails the new address a
   * link for `confirmEmailChange` and the current one a notice with a link for `restoreEmail`.
   * Needs a fresh sign-in (`reauthentication-required`); the same answer when another account
   * uses `newEmail` (whose owner is told instead); `invalid-email`, `rate-limited`. */
  requestEmailChange(token, newEmail, clientInfo) {
    this.call('accounts', 'requestEmailChange', text('token', token), text('newEmail', newEmail), client(clientInfo));
  }

  /** Makes the change whose link (its `token` parameter) was mailed to the new address, which
   * then counts as confirmed; returns the user. Works once (`invalid-token`). */
  confirmEmailChange(linkToken) {
    return this.call('accounts', 'confirmEmailChange', text('linkToken', linkToken));
  }

  /** Undoes an email change with the link mailed to the old address: puts it back (or cancels
   * the unconfirmed change), ends every session and token login of the account and mails the
   * old address a reset link. Works once (`invalid-token`). */
  restoreEmail(linkToken) {
    this.call('accounts', 'restoreEmail', text('linkToken', linkToken));
  }

  /** Gives the account signed in with `token` a new username and tells its address; returns
   * the user. Needs a fresh sign-in (`reauthentication-required`); `invalid-username`, or
   * `already-exists` when another account holds it. */
  changeUsername(token, newUsername, clientInfo) {
    return this.call('accounts', 'changeUsername', text('token', token), text('newUsername', newUsername), client(clientInfo));
  }

  /** Mails the username of the account using `email` to that address, when it has one; the
   * same answer for an unknown address or an account without a username. */
  recoverUsername(email) {
    this.call('accounts', 'recoverUsername', text('email', email));
  }

  // ---- sessions ---------------------------------------------------------------------------

  /** Signs in; `invalid-credentials` alike for unknown account, wrong password, disabled. */
  login(identity, password, clientInfo) {
    return this.call('sessions', 'login', text('identity', identity), text('password', password), client(clientInfo));
  }

  /** The live session of `token`, or `unauthenticated`. */
  validate(token) {
    return this.call('sessions', 'validate', text('token', token));
  }

  /** Ends the session of `token`. */
  logout(token) {
    this.call('sessions', 'logout', text('token', token));
  }

  /** The live sessions of the token's user, newest first. */
  listSessions(token) {
    return this.call('sessions', 'listSessions', text('token', token));
  }

  /** Ends one session of the token's user (`not-found` if not theirs). */
  revoke(token, id) {
    this.call('sessions', 'revoke', text('token', token), text('id', id));
  }

  /** Ends every session of the token's user; returns how many. */
  revokeAll(token) {
    return this.call('sessions', 'revokeAll', text('token', token));
  }

  // ---- roles ------------------------------------------------------------------------------

  /** Creates or replaces a role. */
  putRole({ name, description = '', permissions = [] }) {
    return this.call('roles', 'putRole', {
      name: text('name', name),
      description: text('description', description),
      permissions: texts('permissions', permissions),
    });
  }

  /** Deletes a role; whether it existed. */
  deleteRole(name) {
    return this.call('roles', 'deleteRole', text('name', name));
  }

  /** Every role, by name. */
  listRoles() {
    return this.call('roles', 'listRoles');
  }

  /** Grants an existing role (`not-found` for an unknown role or user). */
  grantRole(email, role) {
    return this.call('roles', 'grantRole', text('email', email), text('role', role));
  }

  /** Takes a role away. */
  revokeRole(email, role) {
    return this.call('roles', 'revokeRole', text('email', email), text('role', role));
  }

  // ---- two-factor -------------------------------------------------------------------------

  /** Whether the user must pass a second factor after their password. */
  twoFactorRequired(userId) {
    return this.call('twoFactor', 'required', text('userId', userId));
  }

  /** `{ totpEnabled, emailEnabled, enrolmentPending, recoveryCodesLeft }` of the token's user. */
  twoFactorStatus(token) {
    return this.call('twoFactor', 'status', text('token', token));
  }

  /** Starts a TOTP enrolment: `{ secret, otpauthUri, qrSvg, algorithm, digits, periodSecs }`,
   * shown once (never log the secret). `already-exists` when TOTP is on. */
  startTotp(token) {
    return this.call('twoFactor', 'startTotp', text('token', token));
  }

  /** Turns TOTP on with a first code: `invalid-code` when wrong, `invalid-request` when not a
   * code at all, `not-found` without an enrolment. */
  confirmTotp(token, code) {
    this.call('twoFactor', 'confirmTotp', text('token', token), text('code', code));
  }

  /** Turns two-factor off after proving it is the user again with exactly one of
   * `{ password }` (`invalid-credentials` when wrong) or `{ code }`, a current TOTP or unused
   * recovery code (`invalid-code`). `not-found` when two-factor is not on. */
  disableTwoFactor(token, { password, code } = {}) {
    if ((password === undefined) === (code === undefined)) {
      throw new TypeError('give exactly one of password or code');
    }
    const proof = password !== undefined
      ? { tag: 'password', val: text('password', password) }
      : { tag: 'code', val: text('code', code) };
    this.call('twoFactor', 'disable', text('token', token), proof);
  }

  /** A new set of single-use recovery codes, replacing the old one; shown this once. */
  generateRecoveryCodes(token) {
    return this.call('twoFactor', 'generateRecoveryCodes', text('token', token));
  }

  /** Signs in with a password: `{ signedIn: session }` without a second factor, else
   * `{ secondFactor: { token, methods, expiresAtMs } }` to finish with `completeTotp`,
   * `completeRecovery` or (after `sendEmailCode`) `completeEmail`; `methods` name the ways it
   * can finish (`totp`, `recovery-code`, `webauthn`, `email`). Refuses like `login`. */
  beginLogin(identity, password, clientInfo) {
    return loginOutcome(
      this.call('twoFactor', 'beginLogin', text('identity', identity), text('password', password), client(clientInfo)),
    );
  }

  /** Finishes a pending sign-in with a TOTP code (used up) and returns a session.
   * `invalid-code` for a wrong or replayed code; `unauthenticated` once the pending sign-in is
   * used, expired or out of attempts. */
  completeTotp(pendingToken, code, clientInfo) {
    return this.call('twoFactor', 'completeTotp', text('pendingToken', pendingToken), text('code', code), client(clientInfo));
  }

  /** Like `completeTotp` with a recovery code, which works once. */
  completeRecovery(pendingToken, code, clientInfo) {
    return this.call('twoFactor', 'completeRecovery', text('pendingToken', pendingToken), text('code', code), client(clientInfo));
  }

  /** Starts turning email on as the second factor of the token's user: mails an 8-digit code
   * for `confirmEmailTwoFactor`. Needs a fresh sign-in (`reauthentication-required`);
   * `already-exists` when it is on; `rate-limited`. */
  startEmailTwoFactor(token) {
    this.call('twoFactor', 'startEmail', text('token', token));
  }

  /** Turns email on as a second factor with the code `startEmailTwoFactor` mailed:
   * `invalid-code` when wrong (one of five attempts gone), `not-found` once the set-up is over. */
  confirmEmailTwoFactor(token, code) {
    this.call('twoFactor', 'confirmEmail', text('token', token), text('code', code));
  }

  /** Mails a code that finishes the pending sign-in (replacing one mailed before for it).
   * `invalid-request` when email is not one of its methods; `rate-limited`. */
  sendEmailCode(pendingToken) {
    this.call('twoFactor', 'sendEmailCode', text('pendingToken', pendingToken));
  }

  /** Like `completeTotp` with the code `sendEmailCode` mailed: it works for this pending
   * sign-in only, once, for 10 minutes. */
  completeEmail(pendingToken, code, clientInfo) {
    return this.call('twoFactor', 'completeEmail', text('pendingToken', pendingToken), text('code', code), client(clientInfo));
  }

  // ---- tokens -----------------------------------------------------------------------------

  /** Signs in with a password and starts a token login: `{ accessToken, expiresInSecs,
   * refreshToken, refreshExpiresAtMs, user }`. `second-factor-required` for a user with
   * two-factor on. */
  issueTokens(identity, password, clientInfo) {
    return this.call('tokens', 'issue', text('identity', identity), text('password', password), client(clientInfo));
  }

  /** Starts a token login for the holder of a live session. */
  issueTokensForSession(sessionToken, clientInfo) {
    return this.call('tokens', 'issueForSession', text('sessionToken', sessionToken), client(clientInfo));
  }

  /** Exchanges a refresh token for a new pair. `unauthenticated` when it is unknown, expired,
   * revoked or already used; a reused one also ends the whole login. */
  refreshTokens(refreshToken) {
    return this.call('tokens', 'refresh', text('refreshToken', refreshToken));
  }

  /** Ends the login of an access or refresh token. */
  revokeToken(token) {
    this.call('tokens', 'revoke', text('token', token));
  }

  /** Checks an access token offline, as a third party with the JWKS would (not whether its
   * login ended since): `{ userId, loginId, roles, issuedAtSecs, expiresAtSecs }`. */
  verifyAccess(accessToken) {
    return this.call('tokens', 'verifyAccess', text('accessToken', accessToken));
  }

  /** The public signing keys as a JWK Set document (JSON text). */
  jwks() {
    return this.call('tokens', 'jwks');
  }

  /** Starts a new signing-key generation (trusted callers); returns every generation. */
  rotateKeys() {
    return this.call('tokens', 'rotateKeys');
  }

  /** The signing-key generations held. */
  listKeys() {
    return this.call('tokens', 'listKeys');
  }

  // ---- API keys ---------------------------------------------------------------------------

  /** Creates a service API key (trusted callers): `{ info, key }`, the key's only copy. */
  createApiKey(name, scopes) {
    return this.call('apiKeys', 'create', text('name', name), texts('scopes', scopes));
  }

  /** Every API key's public facts, by name. */
  listApiKeys() {
    return this.call('apiKeys', 'list');
  }

  /** Revokes an API key by id; `not-found` when there is none. */
  revokeApiKey(id) {
    this.call('apiKeys', 'revoke', text('id', id));
  }

  /** The key's facts if it is live; `unauthenticated` otherwise. */
  verifyApiKey(key) {
    return this.call('apiKeys', 'verify', text('key', key));
  }

  // ---- signer -----------------------------------------------------------------------------

  // ---- webauthn ----------------------------------------------------------------------------
  // The browser side (navigator.credentials) is the application's; these calls check what it
  // sends back. `host` is the request's Host header, used for the relying party on localhost.

  /** Starts registering a key for the signed-in user; `usage` is `first` (a passkey) or
   * `secondary` (a second factor). Returns `{ state, optionsJson, expiresAtMs }`. */
  webauthnRegisterBegin(token, name, usage = 'first', host) {
    if (usage !== 'first' && usage !== 'secondary') {
      throw errorFor(ErrorCode.InvalidRequest, "usage must be 'first' or 'secondary'");
    }
    return this.call('webauthn', 'registerBegin', text('token', token), text('name', name), usage, optText('host', host));
  }

  /** Checks the browser's answer (`webauthn-rejected`, `challenge-invalid`) and stores the key. */
  webauthnRegisterFinish(token, state, credentialJson) {
    return this.call('webauthn', 'registerFinish', text('token', token), text('state', state), text('credentialJson', credentialJson));
  }

  /** Starts a passkey sign-in, for `identity` or (undefined) any discoverable passkey. */
  webauthnAuthenticateBegin(identity, host) {
    return this.call('webauthn', 'authenticateBegin', optText('identity', identity), optText('host', host));
  }

  /** Starts the second step of a pending sign-in with a security key. */
  webauthnSecondFactorBegin(pendingToken, host) {
    return this.call('webauthn', 'secondFactorBegin', text('pendingToken', pendingToken), optText('host', host));
  }

  /** Checks the browser's assertion and signs in (with `pendingToken`, as the second factor of
   * that sign-in): `unknown-credential`, `sign-count-regression`, `webauthn-rejected` or
   * `challenge-invalid` otherwise. */
  webauthnAuthenticateFinish(state, credentialJson, pendingToken, clientInfo) {
    return this.call('webauthn', 'authenticateFinish', text('state', state), text('credentialJson', credentialJson), optText('pendingToken', pendingToken), client(clientInfo));
  }

  /** Starts re-authentication of the signed-in user before a sensitive action. */
  webauthnVerifyBegin(token, host) {
    return this.call('webauthn', 'verifyBegin', text('token', token), optText('host', host));
  }

  /** Checks the re-authentication; returns until when (ms, a BigInt) the session is fresh. */
  webauthnVerifyFinish(token, state, credentialJson) {
    return this.call('webauthn', 'verifyFinish', text('token', token), text('state', state), text('credentialJson', credentialJson));
  }

  /** The signed-in user's keys, with name, created and last used. */
  webauthnCredentials(token) {
    return this.call('webauthn', 'listCredentials', text('token', token));
  }

  /** Deletes one of the signed-in user's keys (`reauthentication-required` without a fresh
   * session; `not-found` for a key the user does not have). */
  webauthnDelete(token, idOrName) {
    return this.call('webauthn', 'delete', text('token', token), text('idOrName', idOrName));
  }

  /** An HMAC-signed, time-stamped token carrying `payload` (a Uint8Array; readable by whoever
   * holds the token) for `purpose`. */
  sign(purpose, payload) {
    if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
    return this.call('signer', 'sign', text('purpose', purpose), payload);
  }

  /** `{ payload, issuedAtSecs }` of a token signed for `purpose` at most `maxAgeSecs` ago;
   * `invalid-token` for a forged, expired or other-purpose token. */
  verifySigned(purpose, token, maxAgeSecs) {
    if (!Number.isSafeInteger(maxAgeSecs) || maxAgeSecs < 0) {
      throw errorFor(ErrorCode.InvalidRequest, 'maxAgeSecs must be a non-negative integer');
    }
    return this.call('signer', 'verify', text('purpose', purpose), text('token', token), BigInt(maxAgeSecs));
  }
}
