// The error table (errors.js) against its one source, the WIT `error-code` enum in
// wit/sesame.wit: a code added to the WIT without a class here (or the reverse) fails this test
// instead of reaching callers as a bare SesameError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as sesame from '../sesame.js';
import { ERRORS, ErrorCode, SesameError, errorFor } from '../sesame.js';

/** The cases of `enum error-code`, in WIT order. */
function witErrorCodes() {
  const wit = readFileSync(new URL('../../../wit/sesame.wit', import.meta.url), 'utf8');
  const body = /enum error-code \{([\s\S]*?)\}/.exec(wit);
  assert.ok(body, 'no error-code enum in wit/sesame.wit');
  return body[1]
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('//'))
    .map((line) => line.replace(/,$/, ''));
}

test('every WIT error code has its class and no other', () => {
  assert.deepEqual(Object.keys(ERRORS), witErrorCodes());
  assert.deepEqual(Object.values(ErrorCode), witErrorCodes());
});

test('each class is exported, named after its code and thrown for it', () => {
  for (const [code, cls] of Object.entries(ERRORS)) {
    assert.equal(sesame[cls.name], cls, cls.name);
    const e = errorFor(code, 'why');
    assert.ok(e instanceof cls && e instanceof SesameError && e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.message, 'why');
    assert.equal(e.name, cls.name);
  }
});

test('an unknown code is kept', () => {
  const e = errorFor('from-a-newer-component', 'why');
  assert.equal(e.constructor, SesameError);
  assert.equal(e.code, 'from-a-newer-component');
});
