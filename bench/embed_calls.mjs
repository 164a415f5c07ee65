// The Node half of bench/embed_calls.py: times calls through embed/js's wrapper over its
// MemoryStore and prints one JSON object of medians (ms). Arguments: a JSON config, rounds,
// warm-up seconds, and the component the Python half runs (embed/js/generated/ must have been
// transpiled from the same file).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Sesame, MemoryOutbox } from '../embed/js/sesame.js';

const [config, rounds, warmSecs, component] = [
  JSON.parse(process.argv[2]),
  Number(process.argv[3]),
  Number(process.argv[4]),
  process.argv[5],
];

const stamp = JSON.parse(readFileSync(new URL('../embed/js/generated/component.json', import.meta.url), 'utf8')).component;
const digest = createHash('sha256').update(readFileSync(component)).digest('hex');
if (stamp !== digest) {
  console.error(`embed/js/generated/ was not transpiled from ${component}: run npm test in embed/js`);
  process.exit(1);
}

function median(samples) {
  const ordered = [...samples].sort((a, b) => a - b);
  return ordered[Math.floor(ordered.length / 2)];
}

// V8 compiles wasm in tiers: calls until the warm-up time has passed, so the timed ones run
// the optimised code, as they would in a long-running server.
function time(call) {
  const until = process.hrtime.bigint() + BigInt(Math.round(warmSecs * 1e9));
  while (process.hrtime.bigint() < until) call();
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    call();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

const auth = new Sesame({ config, outbox: new MemoryOutbox() });
auth.register('ada@example.com', 'analytical engine');
const session = auth.login('ada@example.com', 'analytical engine', { address: '192.0.2.1' });
const payload = new TextEncoder().encode('x'.repeat(1024));
const results = {
  validate: time(() => auth.validate(session.token)),
  begin_login: time(() => auth.beginLogin('ada@example.com', 'analytical engine', { address: '192.0.2.1' })),
  sign: time(() => auth.sign('bench', payload)),
};
console.log(JSON.stringify(results));
