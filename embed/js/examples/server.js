// A node:http server whose /private route only signed-in users reach, with Sesame embedded,
// including sign-in with an authenticator app (TOTP) or a recovery code.
//
//   npm ci && SESAME_EMBED_COMPONENT=.../sesame_guest_embed.wasm npm run transpile
//   node examples/server.js            # listens on 127.0.0.1:8090 (PORT to change, 0 for any)
//
// JSON throughout. POST /register and POST /login take {"email": ..., "password": ...}. Login
// sets an HttpOnly session cookie, or, when the account has two-factor on, answers
// {"second_factor": [methods]} and sets a short-lived pending cookie that POST /login/code
// ({"code": ...} from the app, or {"recovery_code": ...}) turns into a session. Signed in,
// POST /tf-setup starts an enrolment (secret, otpauth:// URI, QR code) and POST /tf-confirm
// ({"code": ...}) turns it on and returns the recovery codes, once.

import { createServer } from 'node:http';

import { InvalidRequest, MalformedJson, PayloadTooLarge, Sesame, SesameError } from '../sesame.js';

const auth = new Sesame();
const COOKIE = 'session';
const PENDING_COOKIE = 'pending-login';
/** Largest request body read; anything longer is refused before parsing. */
const MAX_BODY_BYTES = 16 * 1024;

/** Routes that need a session (the others are open). */
const SIGNED_IN_ROUTES = new Set(['POST /tf-setup', 'POST /tf-confirm', 'GET /private']);

const STATUS = {
  'invalid-credentials': 401, unauthenticated: 401, 'invalid-code': 401, forbidden: 403,
  'second-factor-required': 403, 'rate-limited': 429, 'not-found': 404, 'already-exists': 409,
  'payload-too-large': 413, 'store-unavailable': 503, internal: 500,
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The JSON object of the request, with `required` string fields. */
async function body(req, ...required) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY_BYTES) throw new PayloadTooLarge('the body is too large');
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new MalformedJson('send a JSON object');
  }
  if (data === null || typeof data !== 'object' || required.some((k) => typeof data[k] !== 'string')) {
    throw new InvalidRequest(`send a JSON object with ${required.join(', ') || 'fields'} as strings`);
  }
  return data;
}

function cookie(req, name) {
  const pair = (req.headers.cookie ?? '').split(';').map((p) => p.trim().split('=')).find(([k]) => k === name);
  return pair?.[1] ?? '';
}

function signedIn(res, session) {
  return send(res, 200, { user: session.user.email }, {
    'set-cookie': [
      `${COOKIE}=${session.token}; HttpOnly; SameSite=Lax; Path=/`,
      `${PENDING_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
    ],
  });
}

const server = createServer(async (req, res) => {
  try {
    const client = { address: req.socket.remoteAddress, userAgent: req.headers['user-agent'] };
    const route = `${req.method} ${req.url}`;
    if (route === 'POST /register') {
      const { email, password } = await body(req, 'email', 'password');
      auth.register(email, password);
      return send(res, 200, { ok: true });
    }
    if (route === 'POST /login') {
      const { email, password } = await body(req, 'email', 'password');
      const { signedIn: session, secondFactor } = auth.beginLogin(email, password, client);
      if (session) return signedIn(res, session);
      return send(res, 200, { second_factor: secondFactor.methods }, {
        'set-cookie': `${PENDING_COOKIE}=${secondFactor.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=300`,
      });
    }
    if (route === 'POST /login/code') {
      const data = await body(req);
      const pending = cookie(req, PENDING_COOKIE);
      if (typeof data.code === 'string') return signedIn(res, auth.completeTotp(pending, data.code, client));
      if (typeof data.recovery_code === 'string') {
        return signedIn(res, auth.completeRecovery(pending, data.recovery_code, client));
      }
      throw new InvalidRequest('send code or recovery_code as a string');
    }
    if (!SIGNED_IN_ROUTES.has(route)) {
      return send(res, 404, { error: { code: 'not-found', message: 'no such route' } });
    }
    const token = cookie(req, COOKIE);
    const { user } = auth.validate(token);
    if (route === 'POST /tf-setup') {
      const { secret, otpauthUri, qrSvg } = auth.startTotp(token);
      return send(res, 200, { secret, otpauth_uri: otpauthUri, qr_svg: qrSvg });
    }
    if (route === 'POST /tf-confirm') {
      auth.confirmTotp(token, (await body(req, 'code')).code);
      return send(res, 200, { recovery_codes: auth.generateRecoveryCodes(token) });
    }
    return send(res, 200, { hello: user.email, roles: user.roles }); // GET /private
  } catch (e) {
    if (e instanceof SesameError) {
      return send(res, STATUS[e.code] ?? 400, { error: { code: e.code, message: e.message } });
    }
    console.error(e);
    return send(res, 500, { error: { code: 'internal', message: 'internal error' } });
  }
});

const port = Number(process.env.PORT ?? 8090);
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
