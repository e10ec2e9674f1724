import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { loadOrCreateSandboxKey, parseSecretKey, Vault } from '../../server/src/store/vault';

describe('token vault', () => {
  const vault = new Vault(crypto.randomBytes(32));

  it('round-trips a secret and never stores it in the clear', () => {
    const sealed = vault.encrypt('eol_rt_abcdef123456', 'connection:1:refresh_token');
    expect(sealed).not.toContain('eol_rt_');
    expect(vault.decrypt(sealed, 'connection:1:refresh_token')).toBe('eol_rt_abcdef123456');
  });

  it('encrypts the same secret differently every time', () => {
    expect(vault.encrypt('x', 'c')).not.toBe(vault.encrypt('x', 'c'));
  });

  it('refuses a ciphertext moved to another row or purpose', () => {
    const sealed = vault.encrypt('eol_rt_abc', 'connection:1:refresh_token');
    expect(() => vault.decrypt(sealed, 'connection:2:refresh_token')).toThrow(/could not be decrypted/);
  });

  it('refuses a tampered ciphertext and a wrong key', () => {
    const sealed = vault.encrypt('eol_rt_abc', 'c');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => vault.decrypt('v1:' + raw.toString('base64'), 'c')).toThrow(/could not be decrypted/);
    expect(() => new Vault(crypto.randomBytes(32)).decrypt(sealed, 'c')).toThrow(/wrong LEDGERFEED_SECRET_KEY/);
  });

  it('accepts keys as base64 or hex and explains the format otherwise', () => {
    const key = crypto.randomBytes(32);
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('hex')).equals(key)).toBe(true);
    expect(() => parseSecretKey('hunter2')).toThrow(/LEDGERFEED_SECRET_KEY must be 32 random bytes/);
  });

  it('generates one sandbox key and keeps it private in the data directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-vault-'));
    const first = loadOrCreateSandboxKey(dir);
    const second = loadOrCreateSandboxKey(dir);
    expect(first.equals(second)).toBe(true);
    const mode = fs.statSync(path.join(dir, 'sandbox-secret.key')).mode & 0o777;
    expect(mode).toBe(0o600);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
