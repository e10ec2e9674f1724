// DEPRECATED: creating a Twinfield connection that logs in with a user name and password (for the CLI). The logon
// is tried first, so wrong credentials or an organisation that requires OAuth are refused with a message before
// anything is stored; the password is stored encrypted by the vault, and the offices are discovered.
import type { Logger } from '../../logger';
import { LedgerfeedError } from '../../errors';
import type { Connection } from '../../store/connections';
import type { TwinfieldClients } from './clients';
import type { TwinfieldConnectionStore } from './connection-store';
import type { TwinfieldConnector } from './connector';
import { logon, type PasswordCredentials } from './password';
import type { SoapTransport } from './transport';

export interface PasswordConnectionInput extends PasswordCredentials {
  workspaceId: number;
  /** The Ledgerfeed user who set it up, if any. */
  connectedBy?: number | null;
}

/** The organisation is already connected with OAuth in this workspace; a password login would be a step back. */
export class TwinfieldAlreadyConnected extends LedgerfeedError {
  readonly code = 'TwinfieldAlreadyConnected';
  readonly status = 409;
}

/** @deprecated Twinfield is retiring password logons; connect with OAuth from the workspace page instead. */
export class TwinfieldPasswordConnections {
  constructor(
    private readonly deps: {
      transport: SoapTransport;
      store: TwinfieldConnectionStore;
      clients: TwinfieldClients;
      connector: TwinfieldConnector;
      loginUrl: () => string;
      logger: Logger;
    },
  ) {}

  /**
   * Logs on once to check the credentials, then stores the connection (auth_kind `password`, the password encrypted)
   * and its offices. Throws TwinfieldLogonRefused (e.g. "this organisation requires OAuth: connect Twinfield from the
   * workspace page") or TwinfieldAlreadyConnected.
   */
  async create(input: PasswordConnectionInput, signal?: AbortSignal): Promise<Connection> {
    const { transport, store, clients, connector, loginUrl, logger } = this.deps;
    const organisation = input.organisation.trim().toUpperCase();
    const existing = store.connections.find(input.workspaceId, 'twinfield', organisation);
    if (existing && existing.authKind === 'oauth') {
      throw new TwinfieldAlreadyConnected(`Twinfield organisation ${organisation} is already connected with OAuth in this workspace; a password login is not needed.`);
    }
    const session = await logon(transport, loginUrl(), { user: input.user, password: input.password, organisation }, signal);
    const connection = store.connections.upsert({
      workspaceId: input.workspaceId,
      source: 'twinfield',
      externalKey: organisation,
      label: `Twinfield — ${organisation} (password login, deprecated)`,
      baseUrl: loginUrl(),
      authKind: 'password',
      connectedBy: input.connectedBy ?? null,
      extra: { organisationCode: organisation, userName: input.user, clusterUrl: session.clusterUrl },
    });
    store.storePassword(connection.id, input.password);
    clients.forget(connection.id);
    // The session just opened is the user's only one: hand it to the connection's calls instead of logging on again.
    const slot = clients.sessions.slot(loginUrl(), organisation, input.user);
    await slot.queue(async () => {
      slot.sessionId = session.sessionId;
      slot.clusterUrl = session.clusterUrl;
      slot.company = undefined;
    });
    const offices = await connector.discoverAdministrations(connection.id, signal);
    store.connections.upsertAdministrations(connection.id, offices);
    logger.warn({ connectionId: connection.id, organisation, offices: offices.length }, 'Twinfield connected with a password login, which Twinfield is retiring; connect with OAuth when possible');
    return store.read(connection.id);
  }
}
