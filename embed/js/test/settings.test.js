// The wrapper knows the component's settings (`settings.json`, kept equal to core's table by a
// Rust test) and refuses a name the component would silently ignore.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SETTINGS, Sesame } from '../sesame.js';

test('the settings list names core settings with their defaults', () => {
  assert.equal(SETTINGS.SESAME_ARGON2_M_KIB, '19456');
  assert.equal(SETTINGS.SESAME_SECRET, '');
  assert.ok(Object.keys(SETTINGS).every((name) => name.startsWith('SESAME_')));
});

test('an unknown setting is refused by name', () => {
  assert.throws(
    () => new Sesame({ config: { SESAME_ARGON2_MKIB: '64' } }),
    (e) => e instanceof TypeError && e.message.includes('SESAME_ARGON2_MKIB'),
  );
});
