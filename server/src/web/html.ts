// HTML built only through the `html` tagged template: every interpolated value is escaped with
// escape-html unless it is itself a fragment built by `html`, so forgetting to escape is not possible.
import escapeHtml from 'escape-html';

/** Only this module holds the token, so only `html` can mark markup as safe. */
const TRUSTED: unique symbol = Symbol('trusted markup');

export class SafeHtml {
  constructor(
    token: typeof TRUSTED,
    readonly markup: string,
  ) {
    if (token !== TRUSTED) throw new TypeError('SafeHtml is created by the html tag only');
  }
  toString(): string {
    return this.markup;
  }
}

export type HtmlValue = string | number | boolean | null | undefined | SafeHtml | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(TRUSTED, out);
}

/**
 * Markup from a renderer that escapes by itself (the guide, rendered by markdown-it with raw HTML off), to embed
 * as it is. Never for text from a request or the store.
 */
export function rendererMarkup(markup: string): SafeHtml {
  return new SafeHtml(TRUSTED, markup);
}
