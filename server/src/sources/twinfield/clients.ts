// One TwinfieldClient per connection, built with the login the connection has (OAuth, or the deprecated password
// session) over the process's shared transport and fair-use governor. The connect flows tell it when a connection
// was (re)authorized so the next call starts from the stored facts.
import type { Clock } from '../../clock';
import type { TokenManager } from '../tokens';
import { TwinfieldClient } from './client';
import type { TwinfieldConnectionStore } from './connection-store';
import type { TwinfieldOAuth } from './oauth';
import { OAuthLogin, type ClusterFacts } from './oauth-login';
import { PasswordLogin, PasswordSessions } from './password';
import type { SoapTransport } from './transport';

export interface TwinfieldClientsDeps {
  store: TwinfieldConnectionStore;
  tokens: TokenManager;
  oauth: TwinfieldOAuth;
  transport: SoapTransport;
  clock: Clock;
}

export class TwinfieldClients {
  private readonly clusters = new Map<number, ClusterFacts>();
  private readonly clients = new Map<number, { signature: string; client: TwinfieldClient }>();
  readonly sessions = new PasswordSessions();

  constructor(readonly deps: TwinfieldClientsDeps) {}

  /** The client of a connection; rebuilt when the connection's kind of login or organisation changed. */
  forConnection(connectionId: number): TwinfieldClient {
    const connection = this.deps.store.read(connectionId);
    const signature = `${connection.authKind}\u0000${connection.externalKey}\u0000${JSON.stringify(connection.extra)}`;
    const cached = this.clients.get(connectionId);
    if (cached && cached.signature === signature) return cached.client;
    const { store, tokens, oauth, transport, clock } = this.deps;
    const login =
      connection.authKind === 'password'
        ? new PasswordLogin(connection, { transport, store, tokens, sessions: this.sessions, loginUrl: () => oauth.loginUrl, clock })
        : new OAuthLogin(connection, { tokens, oauth, store, clock, clusters: this.clusters });
    const client = new TwinfieldClient(login, transport);
    this.clients.set(connectionId, { signature, client });
    return client;
  }

  /** A connection was connected again: forget what was cached about it. */
  forget(connectionId: number): void {
    this.clients.delete(connectionId);
    this.clusters.delete(connectionId);
  }

  /** Records the cluster the connect flow just discovered. */
  rememberCluster(connectionId: number, facts: ClusterFacts): void {
    this.clusters.set(connectionId, facts);
  }
}
