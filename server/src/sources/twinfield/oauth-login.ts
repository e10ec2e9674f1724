// The OAuth login of one connection as the client uses it: an access token from the TokenManager (renewed a minute
// before expiry, once per connection however many calls ask), the cluster that serves the organisation (asked of
// accesstokenvalidation once, then kept in memory and in the connection's extra_json), and the two recoveries:
// a token refused (354/103) is renewed and the call tried once more; a cluster that looks wrong is asked again.
import type { Clock } from '../../clock';
import type { Connection } from '../../store/connections';
import { UpstreamRefused, UpstreamUnavailable } from '../errors';
import type { TokenManager } from '../tokens';
import type { TwinfieldLogin } from './client';
import { twinfieldExtra, type TwinfieldConnectionStore } from './connection-store';
import type { BudgetKey } from './fair-use';
import { RECONNECT_HINT, TokenRequestFailed, TWINFIELD_TOKEN_POLICY, type TokenFacts, type TwinfieldOAuth } from './oauth';
import { TwinfieldFault, type Credentials } from './soap';
import { ClusterUnreachable } from './transport';

/** Where a connection's calls go, as last discovered. */
export interface ClusterFacts {
  clusterUrl: string;
  organisationCode: string;
}

export interface OAuthLoginDeps {
  tokens: TokenManager;
  oauth: TwinfieldOAuth;
  store: TwinfieldConnectionStore;
  clock: Clock;
  /** Clusters by connection id, shared by every client of the process. */
  clusters: Map<number, ClusterFacts>;
}

export class OAuthLogin implements TwinfieldLogin {
  constructor(
    private readonly connection: Connection,
    private readonly deps: OAuthLoginDeps,
  ) {}

  get budget(): BudgetKey {
    const organisation = this.deps.clusters.get(this.connection.id)?.organisationCode ?? this.connection.externalKey;
    return { clientId: this.deps.oauth.clientId ?? 'unconfigured', organisation };
  }

  async run<T>(office: string | undefined, call: (credentials: Credentials, clusterUrl: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let token = await this.accessToken(undefined, signal);
    let cluster = await this.cluster(token, false, signal);
    let renewed = false;
    let rediscovered = false;
    for (;;) {
      try {
        return await call({ kind: 'token', accessToken: token }, cluster);
      } catch (err) {
        if (err instanceof TwinfieldFault && err.loginRefused) {
          if (!renewed) {
            // Expired or revoked early: one new token (shared with every other call that saw the same refusal), one retry.
            renewed = true;
            token = await this.accessToken(token, signal);
            continue;
          }
          if (!rediscovered) {
            rediscovered = true;
            const fresh = await this.cluster(token, true, signal);
            if (fresh !== cluster) {
              cluster = fresh;
              continue;
            }
          }
          throw new UpstreamRefused(
            `Twinfield refused the renewed access token of connection "${this.connection.label}"${office ? ` for office ${office}` : ''}: ${err.faultMessage} ${RECONNECT_HINT}`,
            { administration: office, upstreamStatus: err.httpStatus, cause: err },
          );
        }
        if (err instanceof ClusterUnreachable && !rediscovered) {
          rediscovered = true;
          const fresh = await this.cluster(token, true, signal);
          if (fresh !== cluster) {
            cluster = fresh;
            continue;
          }
        }
        throw err;
      }
    }
  }

  private accessToken(rejected: string | undefined, signal?: AbortSignal): Promise<string> {
    return this.deps.tokens.accessToken(this.connection.id, { refresh: this.deps.oauth.refresh, policy: TWINFIELD_TOKEN_POLICY, rejected, signal });
  }

  /** The cluster URL: from memory, else the connection's extra_json, else (or when `force`d) accesstokenvalidation. */
  private async cluster(token: string, force: boolean, signal?: AbortSignal): Promise<string> {
    const { clusters, store } = this.deps;
    if (!force) {
      const known = clusters.get(this.connection.id);
      if (known) return known.clusterUrl;
      const extra = twinfieldExtra(store.read(this.connection.id));
      if (extra.clusterUrl) {
        clusters.set(this.connection.id, { clusterUrl: extra.clusterUrl, organisationCode: extra.organisationCode ?? this.connection.externalKey });
        return extra.clusterUrl;
      }
    }
    const facts = await this.validate(token, signal);
    this.remember(facts);
    return facts.clusterUrl;
  }

  private async validate(token: string, signal?: AbortSignal): Promise<TokenFacts> {
    try {
      return await this.deps.oauth.validate(token, signal);
    } catch (err) {
      if (!(err instanceof TokenRequestFailed)) throw err;
      if (err.kind === 'refused') {
        // The token died between issue and check: one renewal, then ask again.
        const renewed = await this.accessToken(token, signal);
        try {
          return await this.deps.oauth.validate(renewed, signal);
        } catch (again) {
          if (again instanceof TokenRequestFailed && again.kind === 'refused') {
            throw new UpstreamRefused(`Twinfield does not accept the login of connection "${this.connection.label}" (${again.message}). ${RECONNECT_HINT}`, { cause: again });
          }
          throw again instanceof TokenRequestFailed ? new UpstreamUnavailable(again.message, { cause: again }) : again;
        }
      }
      throw new UpstreamUnavailable(err.message, { cause: err });
    }
  }

  private remember(facts: TokenFacts): void {
    this.deps.clusters.set(this.connection.id, { clusterUrl: facts.clusterUrl, organisationCode: facts.organisationCode });
    this.deps.store.mergeExtra(this.connection.id, {
      clusterUrl: facts.clusterUrl,
      organisationCode: facts.organisationCode,
      organisationId: facts.organisationId,
      clusterCheckedAt: this.deps.clock.now(),
    });
  }
}
