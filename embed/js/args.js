// Arguments checked before they reach the component: a value of the wrong type is a
// programming error (TypeError); text that is not valid Unicode is bad input (InvalidEncoding).

import { ErrorCode, errorFor } from './errors.js';

export function text(name, value) {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (!value.isWellFormed()) {
    throw errorFor(ErrorCode.InvalidEncoding, `${name} is not valid Unicode text`);
  }
  return value;
}

export function optText(name, value) {
  return value === undefined || value === null ? undefined : text(name, value);
}

export function texts(name, values) {
  if (!Array.isArray(values)) throw new TypeError(`${name} must be an array of strings`);
  return values.map((v) => text(name, v));
}
