// Errors for the WIT `auth-error` codes: `SesameError` carries the code, and one subclass per
// WIT `error-code` case lets callers catch exactly the refusal they handle. The WIT enum
// (wit/sesame.wit) is the one source of these codes; test/error-table.test.js fails when this
// table and the WIT enum differ.

/** The WIT `error-code` cases, as the strings `SesameError.code` carries. */
export const ErrorCode = Object.freeze({
  InvalidRequest: 'invalid-request',
  MalformedJson: 'malformed-json',
  InvalidEncoding: 'invalid-encoding',
  UnsupportedMediaType: 'unsupported-media-type',
  PayloadTooLarge: 'payload-too-large',
  InvalidEmail: 'invalid-email',
  InvalidUsername: 'invalid-username',
  WeakPassword: 'weak-password',
  InvalidCredentials: 'invalid-credentials',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  CsrfRejected: 'csrf-rejected',
  RateLimited: 'rate-limited',
  InvalidToken: 'invalid-token',
  NotFound: 'not-found',
  MethodNotAllowed: 'method-not-allowed',
  AlreadyExists: 'already-exists',
  StoreUnavailable: 'store-unavailable',
  Internal: 'internal',
  InvalidCode: 'invalid-code',
  SecondFactorRequired: 'second-factor-required',
  WebauthnRejected: 'webauthn-rejected',
  ChallengeInvalid: 'challenge-invalid',
  UnknownCredential: 'unknown-credential',
  SignCountRegression: 'sign-count-regression',
  ReauthenticationRequired: 'reauthentication-required',
  Busy: 'busy',
  BreachedPassword: 'breached-password',
  BreachCheckUnavailable: 'breach-check-unavailable',
});

/**
 * A call Sesame refused: `code` is the WIT `error-code` (the same string HTTP error bodies
 * carry), `message` is for people and never holds secrets. Thrown as the subclass named after
 * the code; an unknown code (from a newer component) stays a plain `SesameError`.
 */
export class SesameError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'SesameError';
    this.code = code;
  }
}

// One subclass per code, named like the `ErrorCode` key: `new InvalidCode(message)`.
function subclass(name, code) {
  const cls = class extends SesameError {
    constructor(message, options) {
      super(code, message, options);
      this.name = name;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  cls.code = code;
  return cls;
}

/** The request is not well-formed. */
export const InvalidRequest = subclass('InvalidRequest', ErrorCode.InvalidRequest);
/** A JSON body could not be parsed. */
export const MalformedJson = subclass('MalformedJson', ErrorCode.MalformedJson);
/** Text was not valid UTF-8 (or, here, not well-formed Unicode). */
export const InvalidEncoding = subclass('InvalidEncoding', ErrorCode.InvalidEncoding);
/** The body's content type is neither JSON nor an HTML form. */
export const UnsupportedMediaType = subclass('UnsupportedMediaType', ErrorCode.UnsupportedMediaType);
/** The body exceeds the size limit. */
export const PayloadTooLarge = subclass('PayloadTooLarge', ErrorCode.PayloadTooLarge);
/** The email address is not acceptable. */
export const InvalidEmail = subclass('InvalidEmail', ErrorCode.InvalidEmail);
/** The username is not acceptable. */
export const InvalidUsername = subclass('InvalidUsername', ErrorCode.InvalidUsername);
/** The password breaks the password policy; the message names the rule. */
export const WeakPassword = subclass('WeakPassword', ErrorCode.WeakPassword);
/** Wrong credentials: the same for an unknown account, a wrong password or a disabled one. */
export const InvalidCredentials = subclass('InvalidCredentials', ErrorCode.InvalidCredentials);
/** No valid session or token accompanies the call. */
export const Unauthenticated = subclass('Unauthenticated', ErrorCode.Unauthenticated);
/** Signed in, but not allowed to do this. */
export const Forbidden = subclass('Forbidden', ErrorCode.Forbidden);
/** A state-changing cookie request lacked the anti-CSRF token. */
export const CsrfRejected = subclass('CsrfRejected', ErrorCode.CsrfRejected);
/** Too many attempts from this client or on this account. */
export const RateLimited = subclass('RateLimited', ErrorCode.RateLimited);
/** A signed link or token is invalid, expired or already used. */
export const InvalidToken = subclass('InvalidToken', ErrorCode.InvalidToken);
/** No such object. */
export const NotFound = subclass('NotFound', ErrorCode.NotFound);
/** The route exists but not for this HTTP method. */
export const MethodNotAllowed = subclass('MethodNotAllowed', ErrorCode.MethodNotAllowed);
/** The object already exists (administrative calls, TOTP already on). */
export const AlreadyExists = subclass('AlreadyExists', ErrorCode.AlreadyExists);
/** Storage failed; retrying later may succeed (a change may or may not have taken effect). */
export const StoreUnavailable = subclass('StoreUnavailable', ErrorCode.StoreUnavailable);
/** A fault inside Sesame, or the component trapped; details are in the log. */
export const InternalError = subclass('InternalError', ErrorCode.Internal);
/** A TOTP or recovery code is wrong, outside the time window, or already used. */
export const InvalidCode = subclass('InvalidCode', ErrorCode.InvalidCode);
/** The password was right, but the account has two-factor on: use `beginLogin`. */
export const SecondFactorRequired = subclass('SecondFactorRequired', ErrorCode.SecondFactorRequired);
/** A passkey or security key answer was refused (wrong origin or RP ID, bad signature, unsupported key or attestation). */
export const WebauthnRejected = subclass('WebauthnRejected', ErrorCode.WebauthnRejected);
/** The WebAuthn ceremony is unknown, already answered, expired or belongs to another session. */
export const ChallengeInvalid = subclass('ChallengeInvalid', ErrorCode.ChallengeInvalid);
/** No such passkey or security key for this account. */
export const UnknownCredential = subclass('UnknownCredential', ErrorCode.UnknownCredential);
/** The authenticator's signature counter went backwards: a possible clone, refused by policy. */
export const SignCountRegression = subclass('SignCountRegression', ErrorCode.SignCountRegression);
/** The action needs a recent sign-in or passkey verification (`webauthnVerify*`) first. */
export const ReauthenticationRequired = subclass('ReauthenticationRequired', ErrorCode.ReauthenticationRequired);
/** The server is at a limit (password checks waiting for hashing); nothing was done, retry later. */
export const Busy = subclass('Busy', ErrorCode.Busy);
/** The new password is listed in the breached-password corpus the deployment checks. */
export const BreachedPassword = subclass('BreachedPassword', ErrorCode.BreachedPassword);
/** The breached-password check could not be made and the deployment refuses what it cannot check; retry later. */
export const BreachCheckUnavailable = subclass('BreachCheckUnavailable', ErrorCode.BreachCheckUnavailable);

/** The error class for every WIT `error-code` case, by code. */
export const ERRORS = Object.freeze(
  Object.fromEntries(
    [
      InvalidRequest, MalformedJson, InvalidEncoding, UnsupportedMediaType, PayloadTooLarge,
      InvalidEmail, InvalidUsername, WeakPassword, InvalidCredentials, Unauthenticated,
      Forbidden, CsrfRejected, RateLimited, InvalidToken, NotFound, MethodNotAllowed,
      AlreadyExists, StoreUnavailable, InternalError, InvalidCode, SecondFactorRequired,
      WebauthnRejected, ChallengeInvalid, UnknownCredential, SignCountRegression,
      ReauthenticationRequired, Busy, BreachedPassword, BreachCheckUnavailable,
    ].map((cls) => [cls.code, cls]),
  ),
);

/** The error for an `auth-error`: its code's class, or a plain `SesameError` for a code this
 * wrapper does not know, so the code is never lost. */
export function errorFor(code, message, options) {
  const cls = ERRORS[code];
  return cls ? new cls(message, options) : new SesameError(code, message, options);
}
