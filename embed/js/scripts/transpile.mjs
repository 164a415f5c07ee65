// Makes `generated/` (the embed component transpiled by jco into an ES module) when it is
// missing or was made from another component. The component is $SESAME_EMBED_COMPONENT, else
// the repository's build of it, which cargo brings up to date first (a no-op when it is).
// Runs before `npm test` and `npm pack`, so a clean checkout tests and packs as it is.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(pkg, '../..');
const generated = join(pkg, 'generated');
const stamp = join(generated, 'component.sha256');

function fail(message) {
  console.error(`sesame-embed: ${message}`);
  process.exit(1);
}

function run(command, args, options) {
  const done = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (done.error) fail(`could not run ${command}: ${done.error.message}`);
  if (done.status !== 0) fail(`${command} ${args.join(' ')} failed (exit ${done.status})`);
}

let component = process.env.SESAME_EMBED_COMPONENT;
if (!component) {
  if (!existsSync(join(root, 'Cargo.toml'))) {
    fail('set SESAME_EMBED_COMPONENT to the built sesame_guest_embed.wasm');
  }
  const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
  run('cargo', ['build', '--locked', '--release', '--target', 'wasm32-wasip2', '-p', 'sesame-guest-embed'], {
    cwd: root,
  });
  component = join(target, 'wasm32-wasip2', 'release', 'sesame_guest_embed.wasm');
}
if (!existsSync(component)) fail(`no component at ${component}`);

const digest = createHash('sha256').update(readFileSync(component)).digest('hex');
const current = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (current === digest && existsSync(join(generated, 'sesame.js'))) process.exit(0);

const jco = join(pkg, 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');
if (!existsSync(jco)) fail('jco is missing: run `npm ci` in embed/js first');
run(
  process.execPath,
  [jco, 'transpile', component, '--out-dir', generated, '--name', 'sesame', '--instantiation', 'sync',
    '--no-namespaced-exports', '--quiet'],
  { cwd: pkg },
);
// Which component `generated/` was made from: the next run skips the transpile when it matches.
writeFileSync(stamp, `${digest}\n`);
