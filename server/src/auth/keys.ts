// The API key format: `lf_` + 43 random base62 characters (256 bits), stored only as a SHA-256 hash plus a
// short visible prefix so a user can tell their keys apart in a list.
import crypto from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PREFIX = 'lf_';
const RANDOM_CHARS = 43;

/** Outside the sandbox no key shorter than this is ever created or accepted. */
export const MIN_KEY_LENGTH = 32;

export function generateApiKey(): string {
  let out = KEY_PREFIX;
  while (out.length < KEY_PREFIX.length + RANDOM_CHARS) {
    for (const byte of crypto.randomBytes(64)) {
      // Rejection sampling: 248 = 4 × 62, so every character stays equally likely.
      if (byte < 248 && out.length < KEY_PREFIX.length + RANDOM_CHARS) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** Keys are high-entropy, so a fast unsalted hash is enough and allows an indexed lookup. */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What a listing shows: at most 10 characters and never more than half of the key. */
export function visiblePrefix(key: string): string {
  return key.slice(0, Math.min(10, Math.floor(key.length / 2)));
}
