// The main flows through the Node wrapper against the real component: mailed links, errors
// for bad input, the store's contract, a failing store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { MemoryOutbox, MemoryStore, Sesame, SesameError, StoreError } from '../sesame.js';

const { config } = JSON.parse(readFileSync(new URL('../../cases.json', import.meta.url), 'utf8'));

const fresh = (options = {}) => new Sesame({ config, outbox: new MemoryOutbox(), ...options });

function mailedToken(outbox) {
  const match = /token=(\S+)/.exec(outbox.mails.at(-1).text);
  assert.ok(match, outbox.mails.at(-1).text);
  return match[1];
}

const refused = (code) => (e) => e instanceof SesameError && e.code === code && e.message.length > 0;

test('confirmation and reset through mailed links', () => {
  const auth = fresh();
  auth.register('ada@example.com', 'analytical engine');
  assert.equal(auth.outbox.mails.at(-1).to, 'ada@example.com');
  // The HTML part (WIT 1.0) carries the same link as the text.
  const { html } = auth.outbox.mails.at(-1);
  assert.ok(html.startsWith('<!DOCTYPE html>'), html);
  assert.ok(html.includes(`token=${mailedToken(auth.outbox)}"`), html);
  const confirmed = auth.confirmEmail(mailedToken(auth.outbox));
  assert.equal(typeof confirmed.confirmedAtMs, 'number');
  assert.deepEqual(auth.outbox.events.slice(0, 2).map((e) => e.kind), ['registered', 'confirmed']);

  const session = auth.login('ada@example.com', 'analytical engine');
  auth.requestReset('ada@example.com');
  const resetToken = mailedToken(auth.outbox);
  assert.throws(() => auth.resetPassword(resetToken, 'short'), refused('weak-password'));
  auth.resetPassword(resetToken, 'difference engine');
  assert.throws(() => auth.resetPassword(resetToken, 'yet another password'), refused('invalid-token'));
  assert.throws(() => auth.validate(session.token), refused('unauthenticated'));
  assert.equal(auth.login('ada@example.com', 'difference engine').user.email, 'ada@example.com');

  const mails = auth.outbox.mails.length;
  auth.requestReset('nobody@example.com');
  assert.equal(auth.outbox.mails.length, mails);
  assert.throws(() => auth.confirmEmail('forged.token.value'), refused('invalid-token'));
});

test('bad input gets a code and changes nothing', () => {
  const auth = fresh();
  assert.throws(() => auth.register('ada\udc80@example.com', 'analytical engine'), refused('invalid-encoding'));
  assert.throws(() => auth.login(42, 'analytical engine'), TypeError);
  assert.throws(() => auth.listUsers({ limit: -1 }), refused('invalid-request'));
  assert.throws(() => auth.register('ada@example.com', 'x'.repeat(129)), refused('weak-password'));
  assert.throws(() => auth.register(`${'a'.repeat(300)}@example.com`, 'analytical engine'), refused('invalid-email'));
  assert.deepEqual(auth.listUsers(), []);
});

test('two instances over one store share sessions and mailed links', () => {
  const store = new MemoryStore();
  const first = fresh({ store });
  first.createUser({ email: 'ada@example.com', password: 'analytical engine' });
  const { token } = first.login('ada@example.com', 'analytical engine');
  assert.equal(fresh({ store }).validate(token).user.email, 'ada@example.com');
  assert.throws(() => fresh().validate(token), refused('unauthenticated'));

  // A link mailed by one instance is good in another with the same secret, not in one without.
  const outbox = new MemoryOutbox();
  fresh({ store, outbox }).register('bob@example.com', 'analytical engine');
  const link = mailedToken(outbox);
  assert.throws(
    () => new Sesame({ store, config: { ...config, SESAME_SECRET: undefined } }).confirmEmail(link),
    refused('invalid-token'),
  );
  assert.equal(fresh({ store }).confirmEmail(link).email, 'bob@example.com');
});

test('a failing store gives store-unavailable, then the next call works', () => {
  const store = new MemoryStore();
  let broken = false;
  const flaky = {
    get: (...a) => { if (broken) throw new Error('disk on fire'); return store.get(...a); },
    put: (...a) => store.put(...a),
    delete: (...a) => store.delete(...a),
    scan: (...a) => store.scan(...a),
  };
  const auth = fresh({ store: flaky });
  auth.createUser({ email: 'ada@example.com', password: 'analytical engine' });
  broken = true;
  assert.throws(() => auth.login('ada@example.com', 'analytical engine'), refused('store-unavailable'));
  broken = false;
  assert.equal(auth.login('ada@example.com', 'analytical engine').user.email, 'ada@example.com');
});

test('MemoryStore keeps the WIT store contract', async () => {
  const store = new MemoryStore();
  const v1 = store.put('k', new Uint8Array([1]), 0n);
  assert.throws(() => store.put('k', new Uint8Array([2]), 0n), (e) => e instanceof StoreError && e.tag === 'conflict');
  const v2 = store.put('k', new Uint8Array([2]), v1);
  assert.notEqual(v2, v1);
  assert.deepEqual(store.get('k'), { value: new Uint8Array([2]), version: v2 });
  assert.throws(() => store.delete('k', v1), (e) => e.tag === 'conflict');
  assert.equal(store.delete('k', v2), true);
  assert.equal(store.delete('k'), false);
  const v3 = store.put('k', new Uint8Array([3]));
  assert.ok(![0n, v1, v2].includes(v3));

  store.put('ttl', new Uint8Array(), undefined, 1n);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(store.get('ttl'), undefined);
  assert.ok(store.put('ttl', new Uint8Array(), 0n) > 0n);

  assert.throws(() => store.put('x'.repeat(513), new Uint8Array()), (e) => e.tag === 'too-large');
  assert.throws(() => store.put('big', new Uint8Array(1024 * 1024 + 1)), (e) => e.tag === 'too-large');

  for (let i = 0; i < 5; i++) store.put(`p/${i}`, new Uint8Array([i]));
  store.put('p0', new Uint8Array());
  store.put('q/0', new Uint8Array());
  // UTF-8 order puts U+FFFD before U+1F600, unlike UTF-16 unit order.
  store.put('u/\u{1F600}', new Uint8Array());
  store.put('u/\uFFFD', new Uint8Array());
  let page = store.scan('p/', undefined, 2);
  assert.deepEqual(page.map(([k]) => k), ['p/0', 'p/1']);
  page = store.scan('p/', page.at(-1)[0], 10);
  assert.deepEqual(page.map(([k]) => k), ['p/2', 'p/3', 'p/4']);
  assert.deepEqual(store.scan('p/', 'p/4', 10), []);
  assert.deepEqual(store.scan('u/', undefined, 10).map(([k]) => k), ['u/\uFFFD', 'u/\u{1F600}']);

  // Expired entries inside a scanned range are skipped and dropped; `after` before the prefix
  // starts at the prefix; the limit is capped.
  store.put('t/1', new Uint8Array(), undefined, 1n);
  store.put('t/2', new Uint8Array([2]));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(store.scan('t/', undefined, 10).map(([k]) => k), ['t/2']);
  store.put('t/1', new Uint8Array([1]), 0n);
  assert.deepEqual(store.scan('t/', 'a', 10).map(([k]) => k), ['t/1', 't/2']);
  for (let i = 0; i < 1005; i++) store.put(`m/${String(i).padStart(4, '0')}`, new Uint8Array());
  assert.equal(store.scan('m/', undefined, 5000).length, 1000);
});

test('a failing outbox fails the call as internal, then the next call works', () => {
  const outbox = new MemoryOutbox();
  let broken = true;
  const flaky = {
    sendMail: (mail) => { if (broken) throw new Error('mail server on fire'); outbox.sendMail(mail); },
    emitEvent: (event) => outbox.emitEvent(event),
  };
  const auth = fresh({ outbox: flaky });
  assert.throws(() => auth.register('ada@example.com', 'analytical engine'), refused('internal'));
  broken = false;
  auth.requestReset('ada@example.com');
  assert.equal(outbox.mails.at(-1).to, 'ada@example.com');
});

test('every function the component exports has a method', () => {
  // The wrapper calls exports by name; a function the component exports that no method calls
  // (a WIT addition not wrapped yet) fails here rather than going unnoticed. The transpiled
  // typings list the exports: `Root` names each interface, its module its functions.
  const generated = new URL('../generated/', import.meta.url);
  const world = readFileSync(new URL('sesame.d.ts', generated), 'utf8');
  const files = Object.fromEntries([...world.matchAll(/import type \* as (\w+) from '\.\/(interfaces\/[\w-]+)\.js'/g)].map((m) => [m[1], m[2]]));
  const root = /export interface Root \{([\s\S]*?)\}/.exec(world)[1];
  const exported = new Set();
  for (const [, iface, module] of root.matchAll(/^\s*(\w+): typeof (\w+),/gm)) {
    const typings = readFileSync(new URL(`${files[module]}.d.ts`, generated), 'utf8');
    // A function named like a JS reserved word (`delete`) is exported under an alias.
    for (const m of typings.matchAll(/^export function (\w+)\(|^export \{ \w+ as (\w+) \};/gm)) {
      exported.add(`${iface}.${m[1] ?? m[2]}`);
    }
  }
  const source = ['../sesame.js', '../admin.js', '../unified-sign-in.js']
    .map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'))
    .join('\n');
  const called = new Set(
    [...source.matchAll(/(?:this|this\.#sesame)\.call\(\s*'(\w+)',\s*'(\w+)'/g)].map((m) => `${m[1]}.${m[2]}`),
  );
  assert.ok(exported.size > 30, `only ${exported.size} exports found`);
  assert.deepEqual([...called].sort(), [...exported].sort());
});

test('a store or outbox calling Sesame back is refused, the call fails cleanly, the next works', () => {
  const refusals = [];
  let auth;
  let reenter = true;
  const outbox = {
    sendMail: () => {
      if (!reenter) return;
      try {
        auth.getUser('nobody');
      } catch (e) {
        refusals.push(e.message);
        throw e;
      }
    },
    emitEvent: () => {},
  };
  auth = fresh({ outbox });
  assert.throws(() => auth.register('ada@example.com', 'analytical engine'), refused('internal'));
  assert.equal(refusals.length, 1);
  assert.match(refusals[0], /while Sesame was calling it/);
  reenter = false;
  assert.equal(auth.getUser('nobody'), undefined);
});
