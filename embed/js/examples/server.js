// A node:http server whose /private route only signed-in users reach, with Sesame embedded.
//
//   npm ci && SESAME_EMBED_COMPONENT=.../sesame_guest_embed.wasm npm run transpile
//   node examples/server.js            # listens on 127.0.0.1:8090 (PORT to change, 0 for any)
//
// POST /register and POST /login take {"email": ..., "password": ...}; login sets an
// HttpOnly session cookie that GET /private checks.

import { createServer } from 'node:http';

import { Sesame, SesameError } from '../sesame.js';

const auth = new Sesame();
const COOKIE = 'session';
/** Largest request body read; anything longer is refused before parsing. */
const MAX_BODY_BYTES = 16 * 1024;

const STATUS = {
  'invalid-credentials': 401, unauthenticated: 401, forbidden: 403, 'rate-limited': 429,
  'not-found': 404, 'already-exists': 409, 'payload-too-large': 413,
  'store-unavailable': 503, internal: 500,
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function credentials(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY_BYTES) throw new SesameError('payload-too-large', 'the body is too large');
  }
  let data;
  try {
    data = JSON.parse(body);
  } catch {
    throw new SesameError('malformed-json', 'send a JSON object');
  }
  if (typeof data?.email !== 'string' || typeof data?.password !== 'string') {
    throw new SesameError('invalid-request', 'email and password must be strings');
  }
  return data;
}

function sessionCookie(req) {
  const pair = (req.headers.cookie ?? '').split(';').map((p) => p.trim().split('=')).find(([k]) => k === COOKIE);
  return pair?.[1] ?? '';
}

const server = createServer(async (req, res) => {
  try {
    const client = { address: req.socket.remoteAddress, userAgent: req.headers['user-agent'] };
    if (req.method === 'POST' && req.url === '/register') {
      const { email, password } = await credentials(req);
      auth.register(email, password);
      return send(res, 200, { ok: true });
    }
    if (req.method === 'POST' && req.url === '/login') {
      const { email, password } = await credentials(req);
      const session = auth.login(email, password, client);
      return send(res, 200, { user: session.user.email }, {
        'set-cookie': `${COOKIE}=${session.token}; HttpOnly; SameSite=Lax; Path=/`,
      });
    }
    if (req.method === 'GET' && req.url === '/private') {
      const { user } = auth.validate(sessionCookie(req));
      return send(res, 200, { hello: user.email, roles: user.roles });
    }
    return send(res, 404, { error: { code: 'not-found', message: 'no such route' } });
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
