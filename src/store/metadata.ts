import { KbError } from '../errors.ts';

/**
 * Document metadata and retrieval filters: string values by key. A filter matches the
 * documents whose metadata contains every pair (`metadata @> filter`); it reaches SQL only as
 * one bound jsonb parameter, never as text of the statement.
 */
export type Metadata = Record<string, string>;
export type MetadataFilter = Metadata;

const KEY = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const MAX_VALUE_CHARS = 256;

/** Metadata found in a file: keys lower-cased, pairs with an unusable key or a non-scalar or empty value dropped. */
export function fileMetadata(raw: Record<string, unknown>): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = k.trim().toLowerCase();
    if (!KEY.test(key) || !['string', 'number', 'boolean'].includes(typeof v)) continue;
    const value = String(v).trim().slice(0, MAX_VALUE_CHARS);
    if (value) out[key] = value;
  }
  return out;
}

/** `key=value` pairs from the command line or configuration; a malformed pair is a one-line error naming `what`. */
export function parseKeyValues(pairs: string[], what: string): Metadata {
  const out: Metadata = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim().toLowerCase() : '';
    const value = eq > 0 ? pair.slice(eq + 1).trim() : '';
    if (!KEY.test(key) || !value || value.length > MAX_VALUE_CHARS) {
      throw new KbError('input/invalid_argument', `${what} ${JSON.stringify(pair)}: use key=value (key of letters, digits, ".", "_" or "-"; value up to ${MAX_VALUE_CHARS} characters)`);
    }
    out[key] = value;
  }
  return out;
}

/** The filter, if every key is in the allow-list (METADATA_FILTER_KEYS); otherwise a one-line error. */
export function checkedFilter(filter: MetadataFilter | undefined, allowed: readonly string[]): MetadataFilter | undefined {
  if (!filter || !Object.keys(filter).length) return undefined;
  for (const [key, value] of Object.entries(filter)) {
    if (!allowed.includes(key)) {
      throw new KbError('input/invalid_argument', `Cannot filter on "${key}": the filterable metadata keys are ${allowed.length ? allowed.join(', ') : 'none'} (METADATA_FILTER_KEYS)`);
    }
    if (typeof value !== 'string' || !value) throw new KbError('input/invalid_argument', `Filter "${key}" needs a value`);
  }
  return filter;
}

/** A filter's canonical text (keys sorted), for cache keys and memo keys. */
export const filterKey = (filter: MetadataFilter | undefined): string =>
  filter ? JSON.stringify(Object.keys(filter).sort().map((k) => [k, filter[k]])) : '';
