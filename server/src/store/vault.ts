// Token vault: secrets are stored as AES-256-GCM ciphertext bound (as associated data) to the row and
// purpose they belong to, so a ciphertext copied into another row does not decrypt.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../errors';

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class VaultError extends Error {}

export class Vault {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new ConfigurationError('LEDGERFEED_SECRET_KEY must decode to exactly 32 bytes.');
    this.key = Buffer.from(key);
  }

  /** `context` names where the secret lives, e.g. `connection:12:refresh_token`. */
  encrypt(plaintext: string, context: string): string {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt(sealed: string, context: string): string {
    const [format, payload] = sealed.split(':', 2);
    if (format !== FORMAT || !payload) throw new VaultError('unknown ciphertext format');
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new VaultError('ciphertext too short');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError('a stored secret could not be decrypted: wrong LEDGERFEED_SECRET_KEY, or the data was altered');
    }
  }
}

/** Accepts 32 bytes written as base64 (44 characters) or hex (64 characters). */
export function parseSecretKey(value: string): Buffer {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new ConfigurationError(
    'LEDGERFEED_SECRET_KEY must be 32 random bytes written as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`.',
  );
}

export const SANDBOX_KEY_FILE = 'sandbox-secret.key';

/**
 * The sandbox's key: LEDGERFEED_SECRET_KEY when set, else one generated once and kept (mode 0600) in the
 * data directory so a restarted sandbox can still read its tokens.
 */
export function loadOrCreateSandboxKey(dataDir: string, configured?: string): Buffer {
  if (configured) return parseSecretKey(configured);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SANDBOX_KEY_FILE);
  try {
    return parseSecretKey(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = crypto.randomBytes(32);
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseSecretKey(fs.readFileSync(file, 'utf8'));
    throw err;
  }
}
