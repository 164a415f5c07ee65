// The `unified-sign-in` export as methods of `Sesame`: signing in with a code mailed to the
// account's address or the link mailed with it, with an authenticator app's code instead of a
// password, and accounts without a password.
//
// A code sign-in is bound to the client that asked for it by the `token` `sendCode` returns,
// which only that client holds: the mailed code works only together with it, and the link
// signs in only that client; opened anywhere else, the link needs the `deviceCode` shown to
// the asking client. Which ways a deployment offers is its `SESAME_US_METHODS` setting.

import { optText, text } from './args.js';

/** The ways of signing in (`unified-sign-in.sign-in-method`), by Flask-Security's names, in
 * the order the component lists them. */
export const SIGN_IN_METHODS = Object.freeze(['password', 'email', 'authenticator', 'passkey']);

export function client({ address, userAgent } = {}) {
  return { address: optText('address', address), userAgent: optText('userAgent', userAgent) };
}

/** A WIT `two-factor.login-outcome` as `beginLogin` answers it: `{ signedIn: session }` or
 * `{ secondFactor: pending }`. */
export function loginOutcome(outcome) {
  return outcome.tag === 'signed-in' ? { signedIn: outcome.val } : { secondFactor: outcome.val };
}

/** The `unified-sign-in` calls; `Sesame` extends this class and supplies `call`. */
export class UnifiedSignIn {
  /** The ways of signing in the deployment offers (of `SIGN_IN_METHODS`). */
  signInMethods() {
    return this.call('unifiedSignIn', 'methods');
  }

  /** The ways the user with this id can sign in, of those offered (`not-found`). */
  activeSignInMethods(userId) {
    return this.call('unifiedSignIn', 'activeMethods', text('userId', userId));
  }

  /** Mails an 8-digit code and a link to the account `identity` (email or username) names and
   * starts the code sign-in they work with: `{ token, deviceCode, expiresAtMs }`, the same
   * for an identity that names no account (which is sent nothing). Keep `token` (never log
   * it) for `signInWithCode`; show `deviceCode` to the person. `forbidden` where mailed codes
   * are not offered; `rate-limited` per client address and per identity. */
  sendCode(identity, clientInfo) {
    return this.call('unifiedSignIn', 'sendCode', text('identity', identity), client(clientInfo));
  }

  /** Finishes the code sign-in of `token` with the mailed `code`: `{ signedIn: session }`, or
   * `{ secondFactor: pending }` when the account has two-factor on. `invalid-code` for a wrong
   * code (one of five attempts gone); `unauthenticated` once the code sign-in is used, expired
   * or out of attempts. */
  signInWithCode(token, code, clientInfo) {
    return loginOutcome(
      this.call('unifiedSignIn', 'signInWithCode', text('token', token), text('code', code), client(clientInfo)),
    );
  }

  /** Signs in with `identity` and a code from its authenticator app instead of a password,
   * where `authenticator` is offered (`forbidden` otherwise): `{ secondFactor: pending }`,
   * whose second step cannot be the same app (`second-factor-required` when the account has
   * no other). `invalid-credentials` alike for an unknown account, no app, a disabled account
   * or a wrong code; `rate-limited`. */
  signInWithAuthenticator(identity, code, clientInfo) {
    return loginOutcome(
      this.call('unifiedSignIn', 'signInWithAuthenticator', text('identity', identity), text('code', code), client(clientInfo)),
    );
  }

  /** Opens a mailed sign-in link (`link` is its `token` parameter): signs in when `token` is
   * the asking client's `sendCode` token, or with the right `deviceCode` (`invalid-code`
   * otherwise): `{ signedIn: session }` or `{ secondFactor: pending }`. Without either,
   * nothing happens: `{ deviceCodeNeeded: true }`. `invalid-token` for a forged, expired or
   * used link. */
  openLink(link, { token, deviceCode } = {}, clientInfo) {
    const outcome = this.call(
      'unifiedSignIn',
      'openLink',
      text('link', link),
      optText('token', token),
      optText('deviceCode', deviceCode),
      client(clientInfo),
    );
    return outcome.tag === 'device-code-needed' ? { deviceCodeNeeded: true } : loginOutcome(outcome.val);
  }

  /** Self-service registration of an account without a password, which signs in with mailed
   * codes; answers like `register` (no account discovery). `invalid-request` where mailed
   * codes are not offered; `invalid-email`, `invalid-username`, `already-exists` for a taken
   * username. */
  registerWithoutPassword(email, username) {
    this.call('unifiedSignIn', 'registerWithoutPassword', text('email', email), optText('username', username));
  }
}
