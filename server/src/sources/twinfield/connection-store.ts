// What the Twinfield client keeps on a connection row beyond the tokens: the discovered cluster (in extra_json,
// so a restart does not have to ask again) and, for the deprecated password logins, the password — encrypted by
// the vault, bound to the row, in the `password_enc` column (migration 25).
import type { Connection } from '../../store/connections';
import { Connections } from '../../store/connections';
import type { Db } from '../../store/database';
import type { Vault } from '../../store/vault';
import type { Clock } from '../../clock';
import { TokenUnavailable } from '../tokens';

/** Twinfield's facts in a connection's extra_json. */
export interface TwinfieldConnectionExtra {
  /** Host of the SOAP services, from accesstokenvalidation (OAuth) or the Logon answer (password). */
  clusterUrl?: string;
  organisationCode?: string;
  organisationId?: string;
  /** When the cluster was last confirmed (ms). */
  clusterCheckedAt?: number;
  /** Password logins only: the Twinfield user name (not secret). */
  userName?: string;
}

export function twinfieldExtra(connection: Connection): TwinfieldConnectionExtra {
  const extra = connection.extra;
  const text = (name: string) => (typeof extra[name] === 'string' ? (extra[name] as string) : undefined);
  return {
    clusterUrl: text('clusterUrl'),
    organisationCode: text('organisationCode'),
    organisationId: text('organisationId'),
    clusterCheckedAt: typeof extra.clusterCheckedAt === 'number' ? extra.clusterCheckedAt : undefined,
    userName: text('userName'),
  };
}

export class TwinfieldConnectionStore {
  readonly connections: Connections;

  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    clock: Clock,
  ) {
    this.connections = new Connections(db, clock);
  }

  /** The connection, which must be a Twinfield one. */
  read(connectionId: number): Connection {
    const connection = this.connections.byId(connectionId);
    if (!connection || connection.source !== 'twinfield') throw new TokenUnavailable(`connection ${connectionId} is not a Twinfield connection`);
    return connection;
  }

  /** Merges facts into extra_json without touching the other keys. */
  mergeExtra(connectionId: number, facts: Partial<TwinfieldConnectionExtra>): void {
    this.db.prepare('UPDATE connections SET extra_json = json_patch(extra_json, ?) WHERE id = ?').run(JSON.stringify(facts), connectionId);
  }

  storePassword(connectionId: number, password: string | null): void {
    const sealed = password === null ? null : this.vault.encrypt(password, passwordContext(connectionId));
    this.db.prepare('UPDATE connections SET password_enc = ? WHERE id = ?').run(sealed, connectionId);
  }

  readPassword(connectionId: number): string | undefined {
    const row = this.db.prepare('SELECT password_enc FROM connections WHERE id = ?').get(connectionId) as { password_enc: string | null } | undefined;
    return row?.password_enc ? this.vault.decrypt(row.password_enc, passwordContext(connectionId)) : undefined;
  }
}

function passwordContext(connectionId: number): string {
  return `connection:${connectionId}:password`;
}
