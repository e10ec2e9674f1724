// Reads the credentials a feed client sends: HTTP Basic (the password is an API key; the user name may be
// empty, as Power Query's Key credential sends it) or `Authorization: Bearer <key>`.

export type FeedCredentials = { kind: 'basic'; username: string; key: string } | { kind: 'bearer'; key: string };

const BASE64_TOKEN = /^[A-Za-z0-9+/]+={0,2}$/;

/** null when there is no Authorization header or it is not one of the two schemes; a malformed one yields an empty key. */
export function parseAuthorization(header: string | undefined): FeedCredentials | null {
  if (!header) return null;
  const match = /^\s*(\S+)\s+(.*?)\s*$/.exec(header);
  if (!match) return null;
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer') return { kind: 'bearer', key: match[2] };
  if (scheme !== 'basic') return null;
  // One base64 token (RFC 7617): Node's decoder would skip what is not base64 and read "Basic <key> junk" as the key.
  if (!BASE64_TOKEN.test(match[2])) return { kind: 'basic', username: '', key: '' };
  const decoded = Buffer.from(match[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'basic', username: decoded, key: '' };
  return { kind: 'basic', username: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}
