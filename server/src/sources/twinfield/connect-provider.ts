// Connecting a Twinfield login from the workspace page: the authorize URL (scopes, state, nonce, PKCE), then on the
// callback the code exchange, the id_token's nonce checked, the token validated (which organisation, which cluster),
// the tokens stored through the TokenManager, the connection upserted under the organisation's code, and its
// offices discovered. Connecting an organisation that had a (deprecated) password login turns it into OAuth.
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { Connection } from '../../store/connections';
import type { TokenManager } from '../tokens';
import { ConnectFailed, type ConnectCallback, type ConnectProvider, type ConnectStart } from '../../web/connect';
import type { TwinfieldClients } from './clients';
import type { TwinfieldConnectionStore } from './connection-store';
import { jwtClaims, TokenRequestFailed, type TwinfieldOAuth } from './oauth';
import type { TwinfieldConnector } from './connector';

export function twinfieldLabel(organisation: string): string {
  return `Twinfield — ${organisation}`;
}

export class TwinfieldConnectProvider implements ConnectProvider {
  readonly source = 'twinfield' as const;
  readonly displayName = 'Twinfield';

  constructor(
    private readonly deps: {
      oauth: TwinfieldOAuth;
      tokens: TokenManager;
      store: TwinfieldConnectionStore;
      clients: TwinfieldClients;
      connector: TwinfieldConnector;
      logger: Logger;
      clock: Clock;
    },
  ) {}

  authorizationUrl(start: ConnectStart): string {
    try {
      return this.deps.oauth.authorizationUrl({ redirectUri: start.redirectUri, state: start.state, nonce: start.nonce, codeChallenge: start.codeChallenge });
    } catch (err) {
      throw asConnectFailed(err, 'starting the Twinfield login');
    }
  }

  async complete(callback: ConnectCallback): Promise<Connection> {
    const { oauth, tokens, store, clients, connector, logger } = this.deps;
    let exchanged;
    try {
      exchanged = await oauth.exchangeCode({ code: callback.code, redirectUri: callback.redirectUri, codeVerifier: callback.codeVerifier });
    } catch (err) {
      throw asConnectFailed(err, 'exchanging the authorization code');
    }
    if (exchanged.idToken) {
      const claims = jwtClaims(exchanged.idToken);
      const audience = claims?.aud;
      const forUs = audience === undefined || audience === oauth.clientId || (Array.isArray(audience) && audience.includes(oauth.clientId));
      if (!claims || claims.nonce !== callback.nonce || !forUs) {
        throw new ConnectFailed('upstream', 'Twinfield sent a login that does not belong to this connection attempt (the nonce or audience does not match). Start again from the workspace page.');
      }
    }
    let facts;
    try {
      facts = await oauth.validate(exchanged.accessToken);
    } catch (err) {
      throw asConnectFailed(err, 'checking the new login');
    }
    const organisation = facts.organisationCode;
    const connection = store.connections.upsert({
      workspaceId: callback.workspace.id,
      source: 'twinfield',
      externalKey: organisation.toUpperCase(),
      label: twinfieldLabel(organisation),
      baseUrl: oauth.loginUrl,
      authKind: 'oauth',
      connectedBy: callback.user.id,
      extra: { organisationCode: organisation, organisationId: facts.organisationId, clusterUrl: facts.clusterUrl, clusterCheckedAt: this.deps.clock.now() },
    });
    // A password login of the same organisation is replaced by this OAuth login: its password is not kept.
    store.storePassword(connection.id, null);
    tokens.store(connection.id, { accessToken: exchanged.accessToken, accessExpiresAt: exchanged.accessExpiresAt, refreshToken: exchanged.refreshToken });
    clients.forget(connection.id);
    clients.rememberCluster(connection.id, { clusterUrl: facts.clusterUrl, organisationCode: organisation });
    let offices;
    try {
      offices = await connector.discoverAdministrations(connection.id);
    } catch (err) {
      logger.warn({ connectionId: connection.id, error: err instanceof Error ? err.message : String(err) }, 'Twinfield offices could not be listed after connecting');
      throw new ConnectFailed('upstream', `Twinfield accepted the login but its offices could not be listed: ${err instanceof Error ? err.message : String(err)} Try connecting again in a moment.`, { cause: err });
    }
    store.connections.upsertAdministrations(connection.id, offices);
    logger.info({ connectionId: connection.id, organisation, offices: offices.length }, 'Twinfield connected');
    return store.read(connection.id);
  }
}

function asConnectFailed(err: unknown, doing: string): ConnectFailed {
  if (err instanceof ConnectFailed) return err;
  if (err instanceof TokenRequestFailed) {
    if (err.kind === 'not_configured') return new ConnectFailed('not_configured', err.message, { cause: err });
    if (err.kind === 'refused' && err.error === 'invalid_grant') {
      return new ConnectFailed('expired_code', 'Twinfield no longer accepts this login attempt (the code expired or was already used). Start again from the workspace page.', { cause: err });
    }
    return new ConnectFailed('upstream', `${err.message} Try again in a moment.`, { cause: err });
  }
  return new ConnectFailed('upstream', `Twinfield failed while ${doing}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
