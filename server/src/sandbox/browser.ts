// A scripted browser for the sandbox: keeps cookies, follows redirects and submits HTML forms with their
// hidden fields, so the sandbox can connect its demo workspace through the real code-grant pages over HTTP.
import { parse, type HTMLElement } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';

export interface Page {
  url: string;
  status: number;
  html: string;
  document: HTMLElement;
}

export class BrowserError extends Error {}

export class ScriptedBrowser {
  private readonly jar = new CookieJar();

  constructor(private readonly options: { maxRedirects?: number; timeoutMs?: number } = {}) {}

  get(url: string): Promise<Page> {
    return this.navigate(url, { method: 'GET' });
  }

  /**
   * Submits the first form on `page` whose action contains `actionPart` (or the first form), with its own
   * fields (hidden inputs, checked boxes) overridden by `fields`.
   */
  submit(page: Page, fields: Record<string, string>, actionPart?: string): Promise<Page> {
    const forms = page.document.querySelectorAll('form');
    const form = actionPart ? forms.find((f) => (f.getAttribute('action') ?? '').includes(actionPart)) : forms[0];
    if (!form) throw new BrowserError(`no form${actionPart ? ` posting to …${actionPart}` : ''} on ${page.url} (status ${page.status}): ${textOf(page)}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input, select, textarea')) {
      const name = input.getAttribute('name');
      const type = (input.getAttribute('type') ?? '').toLowerCase();
      if (!name || type === 'submit' || type === 'button' || ((type === 'checkbox' || type === 'radio') && !input.hasAttribute('checked'))) continue;
      if (!(name in fields)) body.append(name, input.getAttribute('value') ?? '');
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    const action = new URL(form.getAttribute('action') || page.url, page.url).toString();
    const method = (form.getAttribute('method') ?? 'get').toUpperCase();
    if (method === 'GET') {
      const target = new URL(action);
      body.forEach((v, k) => target.searchParams.set(k, v));
      return this.navigate(target.toString(), { method: 'GET' });
    }
    return this.navigate(action, { method: 'POST', body: body.toString(), contentType: 'application/x-www-form-urlencoded' });
  }

  private async navigate(url: string, request: { method: 'GET' | 'POST'; body?: string; contentType?: string }): Promise<Page> {
    let current = url;
    let init = request;
    for (let hops = 0; hops <= (this.options.maxRedirects ?? 10); hops++) {
      const headers: Record<string, string> = { accept: 'text/html' };
      const cookie = await this.jar.getCookieString(current);
      if (cookie) headers.cookie = cookie;
      if (init.contentType) headers['content-type'] = init.contentType;
      const res = await fetch(current, {
        method: init.method,
        headers,
        body: init.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      for (const setCookie of res.headers.getSetCookie()) await this.jar.setCookie(setCookie, current, { ignoreError: true });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        current = new URL(location, current).toString();
        // 307/308 keep the method and body; the others turn into a GET, as browsers do.
        if (res.status !== 307 && res.status !== 308) init = { method: 'GET' };
        continue;
      }
      const html = await res.text();
      return { url: current, status: res.status, html, document: parse(html) };
    }
    throw new BrowserError(`too many redirects from ${url}`);
  }
}

/** The readable text of a page, shortened, for error messages. */
export function textOf(page: Page): string {
  return page.document.querySelector('main')?.text.replace(/\s+/g, ' ').trim().slice(0, 300) ?? page.document.text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
