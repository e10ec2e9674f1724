// Exact Online's wire format: OData v2 verbose JSON (`d.results`, `__next`, `__metadata`, `__deferred`,
// `/Date(ms)/`), the Atom XML it answers when JSON was not asked for, and its error body.
import type { Response } from 'express';
import type { EdmType, Row, Value } from './filter';
import type { EntityShape } from './query';

/** `{"error":{"code":"","message":{"lang":"","value":"…"}}}`, the body of Exact's 400/401/403/404. */
export function sendExactError(res: Response, status: number, message: string): void {
  res.status(status).json({ error: { code: '', message: { lang: '', value: message } } });
}

export function formatDate(ms: number): string {
  return `/Date(${ms})/`;
}

/** How a key value appears in a URI: `guid'…'`, `123L`, `42`, `'text'`. */
export function keyLiteral(type: EdmType, value: Value): string {
  if (type === 'Guid') return `guid'${value}'`;
  if (type === 'Int64') return `${value}L`;
  if (type === 'String') return `'${String(value).replace(/'/g, "''")}'`;
  return String(value);
}

export interface SerializeContext {
  shape: EntityShape;
  /** Absolute URI of the entity set (`…/api/v1/310101/crm/Accounts`). */
  setUri: string;
  select?: string[];
  /** Int64 values as JSON strings (a per-division quirk for Timestamp). */
  timestampsAsText: boolean;
  /** Inline rows of a navigation property named in `$expand`; undefined leaves it `__deferred`. */
  expand?: (row: Row, navigation: string) => Record<string, unknown>[] | undefined;
}

export function rowUri(row: Row, ctx: SerializeContext): string {
  const keyType = ctx.shape.properties.get(ctx.shape.key) ?? 'Guid';
  return `${ctx.setUri}(${keyLiteral(keyType, row[ctx.shape.key] ?? null)})`;
}

/** One row as Exact serialises it: `__metadata` first, then the (selected) properties and navigation links. */
export function serializeRow(row: Row, ctx: SerializeContext): Record<string, unknown> {
  const uri = rowUri(row, ctx);
  const out: Record<string, unknown> = { __metadata: { uri, type: ctx.shape.type } };
  const names = ctx.select ?? [...ctx.shape.properties.keys(), ...ctx.shape.navigation];
  for (const name of names) {
    const type = ctx.shape.properties.get(name);
    if (type) {
      out[name] = jsonValue(type, row[name] ?? null, name === 'Timestamp' && ctx.timestampsAsText);
    } else {
      const inline = ctx.expand?.(row, name);
      out[name] = inline ? { results: inline } : { __deferred: { uri: `${uri}/${name}` } };
    }
  }
  return out;
}

function jsonValue(type: EdmType, value: Value, asText: boolean): unknown {
  if (value === null) return null;
  if (type === 'DateTime') return formatDate(Number(value));
  if (type === 'Int64' && asText) return String(value);
  return value;
}

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

function xmlValue(type: EdmType, value: Value): string {
  if (type === 'DateTime') return new Date(Number(value)).toISOString().replace(/Z$/, '');
  return xmlEscape(String(value));
}

/** The Atom feed Exact answers when the request did not ask for JSON (its default format). */
export function atomFeed(rows: readonly Row[], ctx: SerializeContext, title: string, next?: string): string {
  const names = (ctx.select ?? [...ctx.shape.properties.keys()]).filter((n) => ctx.shape.properties.has(n));
  const entries = rows
    .map((row) => {
      const props = names
        .map((n) => {
          const type = ctx.shape.properties.get(n)!;
          const v = row[n] ?? null;
          const typeAttr = type === 'String' ? '' : ` m:type="Edm.${type}"`;
          return v === null ? `<d:${n}${typeAttr} m:null="true" />` : `<d:${n}${typeAttr}>${xmlValue(type, v)}</d:${n}>`;
        })
        .join('');
      const uri = xmlEscape(rowUri(row, ctx));
      return `<entry><id>${uri}</id><title type="text" /><updated>${new Date(0).toISOString()}</updated><author><name /></author><category term="${xmlEscape(ctx.shape.type)}" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" /><content type="application/xml"><m:properties>${props}</m:properties></content></entry>`;
    })
    .join('');
  const link = next ? `<link rel="next" href="${xmlEscape(next)}" />` : '';
  return `<?xml version="1.0" encoding="utf-8" standalone="yes"?><feed xml:base="${xmlEscape(ctx.setUri)}" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns="http://www.w3.org/2005/Atom"><id>${xmlEscape(ctx.setUri)}</id><title type="text">${xmlEscape(title)}</title>${entries}${link}</feed>`;
}
