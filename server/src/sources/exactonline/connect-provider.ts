// Connecting an Exact Online login from the workspace page: the authorize URL at the login's Exact host, then
// the code exchange, identifying the user (current/Me), storing the connection — keyed by user id and host, since
// a token from one country host does not work on another — with its encrypted tokens and its divisions.
import type { Logger } from '../../logger';
import type { Connection, Connections } from '../../store/connections';
import { ConnectFailed, type ConnectCallback, type ConnectChoice, type ConnectChoices, type ConnectProvider, type ConnectStart } from '../../web/connect';
import type { TokenManager, TokenSet } from '../tokens';
import { readDivisions, readMe, toDiscovered, type ExactMe } from './connector';
import { hostLabel, type ExactOnlineLogins } from './logins';
import { TokenRequestFailed } from './oauth';
import type { ExactRow } from './wire';

export interface ExactConnectProviderOptions {
  logins: ExactOnlineLogins;
  connections: Connections;
  tokens: TokenManager;
  logger: Logger;
}

export class ExactOnlineConnectProvider implements ConnectProvider {
  readonly source = 'exactonline' as const;
  readonly displayName = 'Exact Online';

  constructor(private readonly options: ExactConnectProviderOptions) {}

  /** The country host, when this server offers more than one (a login lives at one host only). */
  connectChoices(): ConnectChoice[] {
    const hosts = this.options.logins.hosts();
    return [{ name: 'host', label: 'Exact Online country', options: hosts.map((h) => ({ value: h, label: hostLabel(h) })) }];
  }

  reconnectChoices(connection: Connection): ConnectChoices {
    return connection.baseUrl && this.options.logins.hosts().includes(connection.baseUrl) ? { host: connection.baseUrl } : {};
  }

  /** No PKCE: Exact Online does not support it; the state (bound to the browser session) guards the callback. */
  authorizationUrl(start: ConnectStart): string {
    try {
      return this.options.logins.oauth(this.options.logins.hostOrDefault(start.choices?.host)).authorizationUrl({ redirectUri: start.redirectUri, state: start.state });
    } catch (err) {
      throw this.failed(err, 'starting the login');
    }
  }

  async complete(callback: ConnectCallback): Promise<Connection> {
    const { logins, connections, tokens, logger } = this.options;
    const baseUrl = logins.hostOrDefault(callback.choices?.host);
    let issued: TokenSet;
    try {
      issued = await logins.oauth(baseUrl).exchangeCode(callback.code, callback.redirectUri);
    } catch (err) {
      throw this.failed(err, 'exchanging the login code');
    }
    let me: ExactMe;
    let divisions: ExactRow[];
    try {
      const client = logins.withAccessToken(baseUrl, issued.accessToken);
      me = await readMe(client);
      divisions = await readDivisions(client, me.currentDivision);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ConnectFailed('upstream', `Exact Online gave access, but Ledgerfeed could not read who logged in and which divisions they can open: ${reason} Try connecting again.`, { cause: err });
    }
    const host = new URL(baseUrl).host;
    const connection = connections.upsert({
      workspaceId: callback.workspace.id,
      source: 'exactonline',
      externalKey: `${me.userId}@${host}`,
      label: `Exact Online — ${me.fullName}`,
      baseUrl,
      authKind: 'oauth',
      connectedBy: callback.user.id,
      extra: { userId: me.userId, host, currentDivision: me.currentDivision },
    });
    tokens.store(connection.id, issued);
    const administrations = connections.upsertAdministrations(connection.id, toDiscovered(divisions));
    logger.info({ connectionId: connection.id, workspaceId: callback.workspace.id, host, divisions: administrations.length }, 'Exact Online login connected');
    return connections.byId(connection.id) ?? connection;
  }

  private failed(err: unknown, doing: string): ConnectFailed {
    if (err instanceof ConnectFailed) return err;
    if (err instanceof TokenRequestFailed) {
      if (err.kind === 'not_configured') return new ConnectFailed('not_configured', err.message);
      if (err.kind === 'refused' && err.error === 'invalid_grant') {
        return new ConnectFailed('expired_code', 'The login code from Exact Online expired or was already used (it is valid for a few minutes, once). Connect again.');
      }
      return new ConnectFailed('upstream', `${err.message} Try connecting again.`);
    }
    const reason = err instanceof Error ? err.message : String(err);
    return new ConnectFailed('upstream', `Exact Online failed while ${doing}: ${reason}`);
  }
}
