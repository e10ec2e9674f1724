// What both simulators share: options, injected faults, served-call statistics and added latency.
// The wire protocols themselves live in each simulator.
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../clock';
import { sleep } from '../../clock';

export interface SimulatorOptions {
  clock: Clock;
  /** Seed of the demo books: the same seed gives the same rows. */
  seed: string;
  /** Transaction lines per administration. */
  rows: number;
  /** Added to every API call (not to the sandbox controls). */
  latencyMs: number;
  /** Length of the rate-limit "minute" (shortened in tests). */
  minuteMs: number;
  /** How many administrations (default eight). */
  administrations?: number;
}

/** Body of `POST …/_faults`. */
export const faultRequestSchema = z.object({
  administration: z.union([z.string(), z.number()]).transform(String),
  /** How many of the next calls of that administration fail. */
  count: z.number().int().min(1).max(100_000).default(1),
  /** `status`: answer with that HTTP status; `timeout`: never answer; `malformed`: 200 with a body that does not parse. */
  kind: z.enum(['status', 'timeout', 'malformed']).default('status'),
  status: z.number().int().min(400).max(599).default(500),
});
export type FaultRequest = z.infer<typeof faultRequestSchema>;
export type Fault = Pick<FaultRequest, 'kind' | 'status'>;

/** Queued faults per administration, consumed one call at a time. */
export class FaultInjector {
  private readonly queues = new Map<string, Fault[]>();

  add(request: FaultRequest): { administration: string; pending: number } {
    const queue = this.queues.get(request.administration) ?? [];
    for (let i = 0; i < request.count; i++) queue.push({ kind: request.kind, status: request.status });
    this.queues.set(request.administration, queue);
    return { administration: request.administration, pending: queue.length };
  }

  /** The fault the next call of `administration` must suffer, if any. */
  take(administration: string | number): Fault | undefined {
    const queue = this.queues.get(String(administration));
    const fault = queue?.shift();
    if (queue && queue.length === 0) this.queues.delete(String(administration));
    return fault;
  }

  pending(): Record<string, number> {
    return Object.fromEntries([...this.queues].map(([k, v]) => [k, v.length]));
  }

  clear(): void {
    this.queues.clear();
  }
}

export interface AdministrationStats {
  requests: number;
  rateLimited: number;
  faults: number;
}

/** Counters served by `GET …/_stats`. */
export class SimulatorStats {
  requests = 0;
  tokenRequests = 0;
  rejectedRefreshes = 0;
  rateLimited = 0;
  faults = 0;
  maxInFlight = 0;
  inFlight = 0;
  readonly byAdministration = new Map<string, AdministrationStats>();

  administration(code: string | number): AdministrationStats {
    const key = String(code);
    let s = this.byAdministration.get(key);
    if (!s) this.byAdministration.set(key, (s = { requests: 0, rateLimited: 0, faults: 0 }));
    return s;
  }

  toJSON(): Record<string, unknown> {
    return {
      requests: this.requests,
      tokenRequests: this.tokenRequests,
      rejectedRefreshes: this.rejectedRefreshes,
      rateLimited: this.rateLimited,
      faults: this.faults,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      administrations: Object.fromEntries(this.byAdministration),
    };
  }

  reset(): void {
    this.requests = this.tokenRequests = this.rejectedRefreshes = this.rateLimited = this.faults = this.maxInFlight = 0;
    this.byAdministration.clear();
  }
}

/** Middleware that delays API calls by the configured latency (as a far-away service would). */
export function addedLatency(latencyMs: number) {
  return (_req: Request, _res: Response, next: NextFunction) => {
    if (latencyMs <= 0) return next();
    sleep(latencyMs).then(() => next(), next);
  };
}

/**
 * Plays a fault on `res`. A `timeout` holds the request open without answering (until the client gives up
 * or the server closes); `malformed` answers 200 with a truncated body of the given content type.
 */
export function playFault(fault: Fault, res: Response, contentType: 'json' | 'xml'): void {
  if (fault.kind === 'timeout') {
    res.socket?.setTimeout(0);
    return; // never answered
  }
  if (fault.kind === 'malformed') {
    res.status(200).type(contentType === 'json' ? 'application/json' : 'text/xml; charset=utf-8');
    res.end(contentType === 'json' ? '{"d":{"results":[{"ID":"' : '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Pro');
    return;
  }
  res.status(fault.status).type('text/html').send(`<html><body><h1>${fault.status}</h1><p>Simulated failure.</p></body></html>`);
}
