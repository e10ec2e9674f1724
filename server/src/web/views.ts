// The web pages as functions of their data. Pure: no database, no request; every value goes through
// the escaping `html` tag.
import type { ApiKeyInfo, AuditEntry, Member, User, WorkspaceAccess } from '../store/accounts';
import type { Administration, Connection, ConnectionHealth, SourceName } from '../store/connections';
import type { ConnectChoice, ConnectChoices } from './connect';
import { CONNECTOR_DOWNLOAD_PATH, GUIDE_PAGE_PATH } from './downloads';
import { html, rendererMarkup, type SafeHtml } from './html';

const STYLE = html`
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
header{background:#17324d;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;margin-right:auto}
header form{margin:0}header button{background:none;border:1px solid #fff6;color:#fff;padding:.2rem .7rem;border-radius:4px;cursor:pointer}
main{max-width:960px;margin:1.5rem auto;padding:0 1.5rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:1rem 1.25rem;margin:1rem 0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceef1;vertical-align:top}
.ok{color:#1d7a35}.expiring{color:#a15c00}.needs_reauth,.error{color:#b3261e}
.notice{background:#fff8e1;border:1px solid #f0d48a;padding:.75rem 1rem;border-radius:6px}
.alert{background:#fdecea;border:1px solid #f5b7b1;padding:.75rem 1rem;border-radius:6px}
code,.key{font-family:ui-monospace,Consolas,monospace}.key{font-size:1.1rem;user-select:all;word-break:break-all}
.feed-url{user-select:all;white-space:nowrap}
label{display:block;margin:.4rem 0}input[type=text],input[type=password],input[type=date]{padding:.35rem;width:20rem;max-width:100%}
button.primary{background:#17324d;color:#fff;border:0;padding:.45rem 1rem;border-radius:4px;cursor:pointer}
.muted{color:#66707a;font-size:.9rem}.inline{display:inline}
`;

const SOURCE_NAMES: Readonly<Record<SourceName, string>> = { exactonline: 'Exact Online', twinfield: 'Twinfield' };
const HEALTH_LABEL = { ok: 'OK', expiring: 'Expiring', needs_reauth: 'Needs re-authorization' } as const;

export function when(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** What every signed-in page needs for its header. */
export interface Chrome {
  user: User | null;
  csrf: string | null;
}

export function layout(title: string, chrome: Chrome, body: SafeHtml): string {
  const nav = chrome.user
    ? html`<a href="/workspaces">Workspaces</a><a href="/keys">API keys</a>
        <form method="post" action="/signout"><input type="hidden" name="_csrf" value="${chrome.csrf}">
        <button type="submit" title="Signed in as ${chrome.user.username}">Sign out ${chrome.user.username}</button></form>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Ledgerfeed</title><style>${STYLE}</style></head>
<body><header><a class="brand" href="/">Ledgerfeed</a>${nav}</header>
<main>${body}</main></body></html>`.markup;
}

const csrfField = (csrf: string | null): SafeHtml => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function signInPage(input: { csrf: string; next: string | null; error?: string; username?: string }): string {
  return layout(
    'Sign in',
    { user: null, csrf: null },
    html`<section><h1>Sign in</h1>
      ${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}
      <form method="post" action="/signin">${csrfField(input.csrf)}
        ${input.next ? html`<input type="hidden" name="next" value="${input.next}">` : ''}
        <label>User name <input type="text" name="username" autocomplete="username" required value="${input.username ?? ''}"></label>
        <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
        <button class="primary" type="submit">Sign in</button>
      </form></section>`,
  );
}

export function messagePage(chrome: Chrome, title: string, message: string, link: { href: string; text: string } | null = { href: '/', text: 'Back to Ledgerfeed' }): string {
  return layout(
    title,
    chrome,
    html`<section><h1>${title}</h1><p>${message}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}</section>`,
  );
}

export function workspacesPage(chrome: Chrome, input: { workspaces: WorkspaceAccess[]; error?: string; form?: { slug: string; name: string } }): string {
  const rows = input.workspaces.map(
    (w) => html`<tr><td><a href="/workspaces/${encodeURIComponent(w.slug)}">${w.name}</a></td><td><code>${w.slug}</code></td>
      <td>${w.role}${w.expiresAt !== null ? html` <span class="muted">until ${when(w.expiresAt)}</span>` : ''}</td></tr>`,
  );
  return layout(
    'Workspaces',
    chrome,
    html`<section><h1>Workspaces</h1>
      ${rows.length ? html`<table><thead><tr><th>Name</th><th>Address</th><th>Your access</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p>You have no workspaces yet.</p>`}
      </section>
      <section><h2>New workspace</h2>
      ${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}
      <form method="post" action="/workspaces">${csrfField(chrome.csrf)}
        <label>Name <input type="text" name="name" required maxlength="200" value="${input.form?.name ?? ''}"></label>
        <label>Address (used in feed URLs: lower-case letters, digits, hyphens) <input type="text" name="slug" required maxlength="40" pattern="[a-z0-9][a-z0-9\\-]*" value="${input.form?.slug ?? ''}"></label>
        <button class="primary" type="submit">Create workspace</button>
      </form></section>`,
  );
}

export interface ConnectionView {
  connection: Connection;
  /** User name of whoever connected it (the connection stays with the workspace regardless). */
  connectedBy: string | null;
  health: ConnectionHealth;
  administrations: Administration[];
  /** Sent along when authorizing the login again, so it comes back to the same place (e.g. its country host). */
  reconnectChoices?: ConnectChoices;
}

export interface ProviderButton {
  source: SourceName;
  displayName: string;
  /** Shown next to the button when there is something to choose (more than one option). */
  choices?: readonly ConnectChoice[];
}

/** A choice with more than one option as a select; a single option needs no asking. */
function choiceFields(choices: readonly ConnectChoice[] | undefined): SafeHtml[] {
  return (choices ?? [])
    .filter((c) => c.options.length > 1)
    .map(
      (c) => html`<label class="inline">${c.label} <select name="${c.name}">${c.options.map((o) => html`<option value="${o.value}">${o.label}</option>`)}</select></label> `,
    );
}

function hiddenChoices(choices: ConnectChoices | undefined): SafeHtml[] {
  return Object.entries(choices ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
}

function healthBlock(h: ConnectionHealth): SafeHtml {
  return html`<p><strong class="${h.state}">${HEALTH_LABEL[h.state]}</strong>${h.reason ? html` — ${h.reason}` : ''}
    ${h.since !== null && h.state !== 'ok' ? html`<span class="muted"> (since ${when(h.since)})</span>` : ''}</p>
    <p class="muted">Refresh token last renewed: ${when(h.refreshRenewedAt)}${h.refreshExpiresAt !== null ? html` · expires unless renewed: ${when(h.refreshExpiresAt)}` : ''}</p>`;
}

function connectionBlock(workspace: WorkspaceAccess, csrf: string | null, view: ConnectionView): SafeHtml {
  const c = view.connection;
  const selectedCount = view.administrations.filter((a) => a.selected).length;
  const items = view.administrations.map(
    (a) => html`<tr><td><label class="inline"><input type="checkbox" name="administration" value="${a.id}" ${a.selected ? 'checked' : ''}>
      <code>${a.code}</code></label></td><td>${a.name}</td></tr>`,
  );
  // Providers label connections "Exact Online — Demo Gebruiker": the source is named once.
  const heading = c.label.startsWith(SOURCE_NAMES[c.source]) ? c.label : `${SOURCE_NAMES[c.source]} · ${c.label}`;
  return html`<section id="connection-${c.id}"><h3>${heading}</h3>
    <p class="muted">Connected ${when(c.createdAt)}${view.connectedBy ? html` by ${view.connectedBy}` : ''}</p>
    ${healthBlock(view.health)}
    ${view.health.state !== 'ok' ? html`<form method="post" action="/workspaces/${encodeURIComponent(workspace.slug)}/connect/${c.source}">${csrfField(csrf)}${hiddenChoices(view.reconnectChoices)}
      <button class="primary" type="submit">Authorize ${SOURCE_NAMES[c.source]} again</button></form>` : ''}
    <form method="post" action="/workspaces/${encodeURIComponent(workspace.slug)}/connections/${c.id}/administrations">${csrfField(csrf)}
      <p>${selectedCount} of ${view.administrations.length} administrations in the feed.</p>
      ${items.length ? html`<table><thead><tr><th>In the feed</th><th>Administration</th></tr></thead><tbody>${items}</tbody></table>
      <p><button class="primary" type="submit">Save selection</button></p>` : html`<p class="muted">No administrations found for this login yet.</p>`}
    </form></section>`;
}

export function workspacePage(
  chrome: Chrome,
  input: { workspace: WorkspaceAccess; connections: ConnectionView[]; providers: ProviderButton[]; feedBaseUrl: string },
): string {
  const w = input.workspace;
  const slug = encodeURIComponent(w.slug);
  const buttons = input.providers.map(
    (p) => html`<form class="inline" method="post" action="/workspaces/${slug}/connect/${p.source}">${csrfField(chrome.csrf)}${choiceFields(p.choices)}
      <button class="primary" type="submit">Connect ${p.displayName}</button></form> `,
  );
  return layout(
    w.name,
    chrome,
    html`<section><h1>${w.name}</h1>
      <p class="muted">Your access: ${w.role}${w.expiresAt !== null ? html` until ${when(w.expiresAt)}` : ''} · <a href="/workspaces/${slug}/members">Members</a></p>
      <div>${buttons}</div></section>
      ${input.connections.length ? input.connections.map((v) => connectionBlock(w, chrome.csrf, v)) : html`<section><p>No connections yet: connect Exact Online or Twinfield above.</p></section>`}
      ${clientSetupBlock(w, input.feedBaseUrl)}`,
  );
}

/** The addresses to paste into Power BI and Excel, the connector download and the guide. */
function clientSetupBlock(workspace: WorkspaceAccess, feedBaseUrl: string): SafeHtml {
  const workspaceUrl = `${feedBaseUrl}/odata/${encodeURIComponent(workspace.slug)}`;
  return html`<section id="power-bi-and-excel"><h2>Power BI and Excel</h2>
    <p>Your <a href="/keys">API key</a> is the password: <strong>Basic</strong> authentication with your Ledgerfeed user name (or none) and
      the key, or the key alone as <strong>API key</strong> / <strong>Web API</strong> credential.
      Step by step: <a href="${GUIDE_PAGE_PATH}">How to connect Power BI and Excel</a>.</p>
    <table><thead><tr><th>You use</th><th>Address to paste</th></tr></thead><tbody>
      <tr><td>Power BI Desktop with the Ledgerfeed connector (<a href="${CONNECTOR_DOWNLOAD_PATH}" download>download Ledgerfeed.mez</a>)</td>
        <td><code class="feed-url" data-use="connector">${workspaceUrl}</code></td></tr>
      <tr><td>Exact Online as an OData feed (Power BI Desktop and Service, Excel)</td>
        <td><code class="feed-url" data-use="exactonline">${workspaceUrl}/exactonline/</code></td></tr>
      <tr><td>Twinfield as an OData feed (Power BI Desktop and Service, Excel)</td>
        <td><code class="feed-url" data-use="twinfield">${workspaceUrl}/twinfield/</code></td></tr>
    </tbody></table></section>`;
}

/** The rendered docs/power-bi.md. */
export function guidePage(chrome: Chrome, markup: string): string {
  return layout('Power BI and Excel', chrome, html`<section class="guide">${rendererMarkup(markup)}</section>`);
}

export function keysPage(chrome: Chrome, input: { keys: ApiKeyInfo[]; created?: { name: string; plaintext: string }; error?: string }): string {
  const rows = input.keys.map(
    (k) => html`<tr><td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${when(k.createdAt)}</td><td>${when(k.lastUsedAt)}</td>
      <td>${k.revokedAt !== null ? html`revoked ${when(k.revokedAt)}` : html`<form method="post" action="/keys/${k.id}/revoke">${csrfField(chrome.csrf)}<button type="submit">Revoke</button></form>`}</td></tr>`,
  );
  return layout(
    'API keys',
    chrome,
    html`${input.created ? html`<section class="notice"><h2>Your new key “${input.created.name}”</h2>
        <p>Copy it now: it is shown only this once.</p><p class="key">${input.created.plaintext}</p>
        <p class="muted">In Power BI or Excel choose Basic authentication and paste it as the password (the user name may be empty), or use the Key credential.</p></section>` : ''}
      <section><h1>API keys</h1>
      ${rows.length ? html`<table><thead><tr><th>Name</th><th>Key</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : html`<p>No keys yet.</p>`}
      </section><section><h2>New key</h2>
      ${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}
      <form method="post" action="/keys">${csrfField(chrome.csrf)}
        <label>Name (where you will use it) <input type="text" name="name" required maxlength="100" placeholder="Power BI Desktop"></label>
        <button class="primary" type="submit">Create key</button></form></section>`,
  );
}

const AUDIT_LABEL: Readonly<Record<string, string>> = {
  'workspace.create': 'created the workspace',
  'grant.create': 'granted access',
  'grant.revoke': 'revoked access',
  'connection.connect': 'connected a login',
  'connection.connect_failed': 'tried to connect a login',
  'administration.select': 'changed the administration selection',
};

export function membersPage(
  chrome: Chrome,
  input: { workspace: WorkspaceAccess; members: Member[]; grantUntil: string; grantMax: string; today: string; audit: AuditEntry[]; error?: string },
): string {
  const w = input.workspace;
  const slug = encodeURIComponent(w.slug);
  const owner = w.role === 'owner';
  const rows = input.members.map(
    (m) => html`<tr><td>${m.username}${m.displayName ? html` <span class="muted">(${m.displayName})</span>` : ''}</td><td>${m.role}</td>
      <td>${m.expiresAt !== null ? when(m.expiresAt) : '—'}</td><td>${m.grantedByUsername ?? ''}</td>
      <td>${owner && m.role === 'member' ? html`<form method="post" action="/workspaces/${slug}/members/${m.userId}/revoke">${csrfField(chrome.csrf)}<button type="submit">Revoke</button></form>` : ''}</td></tr>`,
  );
  const audit = input.audit.map(
    (a) => html`<tr><td>${when(a.at)}</td><td>${a.username ?? '—'}</td><td>${AUDIT_LABEL[a.action] ?? a.action}</td>
      <td class="muted">${Object.entries(a.detail).map(([k, v]) => html`${k}: ${String(v)} `)}</td></tr>`,
  );
  return layout(
    `Members of ${w.name}`,
    chrome,
    html`<section><h1>Members of <a href="/workspaces/${slug}">${w.name}</a></h1>
      ${input.error ? html`<p class="alert" role="alert">${input.error}</p>` : ''}
      <table><thead><tr><th>User</th><th>Role</th><th>Access until</th><th>Granted by</th><th></th></tr></thead><tbody>${rows}</tbody></table></section>
      ${owner
        ? html`<section><h2>Grant access</h2>
      <p class="muted">Access ends by itself at the end of the chosen day (UTC). Connections made by this person stay with the workspace.</p>
      <form method="post" action="/workspaces/${slug}/members">${csrfField(chrome.csrf)}
        <label>User name <input type="text" name="username" required></label>
        <label>Until <input type="date" name="until" required value="${input.grantUntil}" min="${input.today}" max="${input.grantMax}"></label>
        <button class="primary" type="submit">Grant access</button></form></section>
      <section><h2>Recent activity</h2><table><tbody>${audit}</tbody></table></section>`
        : ''}`,
  );
}
