// The Node half of bench/embed_calls.py: times calls through embed/js's wrapper over its
// MemoryStore and prints one JSON object of medians (ms). Arguments: a JSON config, rounds.

import { Sesame, MemoryOutbox } from '../embed/js/sesame.js';

const [config, rounds] = [JSON.parse(process.argv[2]), Number(process.argv[3])];

function median(samples) {
  const ordered = [...samples].sort((a, b) => a - b);
  return ordered[Math.floor(ordered.length / 2)];
}

function time(call) {
  call(); // the first call instantiates the component
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
const results = {
  validate: time(() => auth.validate(session.token)),
  begin_login: time(() => auth.beginLogin('ada@example.com', 'analytical engine', { address: '192.0.2.1' })),
  sign: time(() => auth.sign('bench', new TextEncoder().encode('x'.repeat(1024)))),
};
console.log(JSON.stringify(results));
