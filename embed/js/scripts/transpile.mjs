// Makes `generated/` (the embed component transpiled by jco into an ES module) when it is
// missing or was made from another component, jco or flags. The component is $SESAME_EMBED_COMPONENT, else
// the repository's build of it, which cargo brings up to date first (a no-op when it is).
// Runs before `npm test` and `npm pack`, so a clean checkout tests and packs as it is.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(pkg, '../..');
const generated = join(pkg, 'generated');
const stamp = join(generated, 'component.json');

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

const jco = join(pkg, 'node_modules', '@bytecodealliance', 'jco');
if (!existsSync(join(jco, 'dist', 'jco.js'))) fail('jco is missing: run `npm ci` in embed/js first');
const jcoVersion = JSON.parse(readFileSync(join(jco, 'package.json'), 'utf8')).version;
const flags = ['--name', 'sesame', '--instantiation', 'sync', '--no-namespaced-exports', '--quiet'];

// What `generated/` is made from: the component, jco's version and the flags, with the files
// jco wrote. The stamp is written last, inside the new directory, so a directory whose stamp
// matches and whose files are all there is complete.
const made = {
  component: createHash('sha256').update(readFileSync(component)).digest('hex'),
  jco: jcoVersion,
  flags,
};
function upToDate() {
  if (!existsSync(stamp)) return false;
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(stamp, 'utf8'));
  } catch {
    return false;
  }
  const { files = [], ...source } = recorded;
  return (
    JSON.stringify(source) === JSON.stringify(made) &&
    files.length > 0 &&
    files.every((file) => existsSync(join(generated, file)))
  );
}
if (upToDate()) process.exit(0);

// Transpiled next to its place and swapped in whole: an interrupted run leaves the old
// directory (or none), never a mix, and no file of an earlier transpile survives.
const fresh = `${generated}.${process.pid}.tmp`;
rmSync(fresh, { recursive: true, force: true });
run(process.execPath, [join(jco, 'dist', 'jco.js'), 'transpile', component, '--out-dir', fresh, ...flags], {
  cwd: pkg,
});
const files = readdirSync(fresh, { recursive: true }).map(String).sort();
writeFileSync(join(fresh, 'component.json'), `${JSON.stringify({ ...made, files }, null, 2)}\n`);
rmSync(generated, { recursive: true, force: true });
renameSync(fresh, generated);
