// How both simulated token endpoints read an app's credentials from an HTTP Basic header (RFC 6749 §2.3.1).

export type BasicClientAuth =
  /** No Basic header was sent. */
  | { kind: 'none' }
  /** A Basic header that does not read as `id:secret`: a wrong credential (invalid_client), never a fault. */
  | { kind: 'unreadable' }
  | { kind: 'basic'; clientId: string; clientSecret: string };

/** RFC 6749 form-encodes both parts before base64, so `+` is a space and `%XX` an escaped byte. */
function formDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export function basicClientAuth(authorization: string | undefined): BasicClientAuth {
  const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (!basic) return { kind: 'none' };
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'unreadable' };
  const clientId = formDecoded(decoded.slice(0, colon));
  const clientSecret = formDecoded(decoded.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined) return { kind: 'unreadable' };
  return { kind: 'basic', clientId, clientSecret };
}
