// What both simulators share: options, injected faults, served-call statistics and added latency.
// The wire protocols themselves live in each simulator (and so do the ways each spoils its own answers).
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
  /**
   * `status`: answer with that HTTP status; `timeout`: never answer; `malformed`: 200 with a body that does not
   * parse (or with `body`). The others serve the call, then spoil its real answer: `truncated` cuts it after
   * `bytes` (default half) and drops the connection; `drip` sends it one byte every `intervalMs` (and, with
   * `bytes`, drops the connection after that many); `wrongType` puts a word where the first row has a number
   * (or `field` has a value: then `value`); `missingKey` takes the first row's key away; `huge` repeats the
   * page's rows `copies` times.
   */
  kind: z.enum(['status', 'timeout', 'malformed', 'truncated', 'drip', 'wrongType', 'missingKey', 'huge']).default('status'),
  status: z.number().int().min(400).max(599).default(500),
  /** Only calls whose description contains this text (case-insensitive) suffer the fault; others pass it by. */
  match: z.string().min(1).max(200).optional(),
  /** `malformed`: the exact body to answer with (the content type stays the simulator's own). */
  body: z.string().max(1_000_000).optional(),
  bytes: z.number().int().min(0).max(100_000_000).optional(),
  intervalMs: z.number().int().min(0).max(10_000).default(1),
  field: z.string().min(1).max(100).optional(),
  value: z.union([z.string().max(10_000), z.number(), z.boolean(), z.null(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  copies: z.number().int().min(2).max(100_000).default(100),
});
export type FaultRequest = z.infer<typeof faultRequestSchema>;
export type Fault = Omit<FaultRequest, 'administration' | 'count'>;

/** Faults that let the call be served and then spoil its real answer (see `spoilAnswer`). */
export type AnswerFault = Fault & { kind: 'truncated' | 'drip' | 'wrongType' | 'missingKey' | 'huge' };
const ANSWER_FAULTS = new Set<Fault['kind']>(['truncated', 'drip', 'wrongType', 'missingKey', 'huge']);
export function isAnswerFault(fault: Fault): fault is AnswerFault {
  return ANSWER_FAULTS.has(fault.kind);
}

/** Queued faults per administration, consumed one call at a time. */
export class FaultInjector {
  private readonly queues = new Map<string, Fault[]>();

  add(request: FaultRequest): { administration: string; pending: number } {
    const { administration, count, ...fault } = request;
    const queue = this.queues.get(administration) ?? [];
    for (let i = 0; i < count; i++) queue.push({ ...fault });
    this.queues.set(administration, queue);
    return { administration, pending: queue.length };
  }

  /**
   * The fault the next call of `administration` must suffer, if any: the first queued one whose `match` is
   * absent or found in `call` (what the call asks for, as the simulator describes it).
   */
  take(administration: string | number, call = ''): Fault | undefined {
    const key = String(administration);
    const queue = this.queues.get(key);
    if (!queue) return undefined;
    const lower = call.toLowerCase();
    const at = queue.findIndex((f) => f.match === undefined || lower.includes(f.match.toLowerCase()));
    if (at < 0) return undefined;
    const [fault] = queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(key);
    return fault;
  }

  pending(): Record<string, number> {
    return Object.fromEntries([...this.queues].map(([k, v]) => [k, v.length]));
  }

  /** Forgets the queued faults of one administration, or of all. Returns how many were dropped. */
  clear(administration?: string): number {
    if (administration !== undefined) {
      const dropped = this.queues.get(administration)?.length ?? 0;
      this.queues.delete(administration);
      return dropped;
    }
    const dropped = [...this.queues.values()].reduce((n, q) => n + q.length, 0);
    this.queues.clear();
    return dropped;
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
 * Plays a fault on `res` instead of serving the call. A `timeout` holds the request open without answering
 * (until the client gives up or the server closes); `malformed` answers 200 with a truncated body of the given
 * content type (or the fault's own `body`).
 */
export function playFault(fault: Fault, res: Response, contentType: 'json' | 'xml'): void {
  if (fault.kind === 'timeout') {
    res.socket?.setTimeout(0);
    return; // never answered
  }
  if (fault.kind === 'malformed') {
    res.status(200).type(contentType === 'json' ? 'application/json' : 'text/xml; charset=utf-8');
    if (fault.body !== undefined) return void res.end(fault.body);
    res.end(contentType === 'json' ? '{"d":{"results":[{"ID":"' : '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Pro');
    return;
  }
  res.status(fault.status).type('text/html').send(`<html><body><h1>${fault.status}</h1><p>Simulated failure.</p></body></html>`);
}

/** Rewrites an answer body for `wrongType`, `missingKey` and `huge`: each simulator knows its own wire format. */
export type AnswerSpoiler = (body: string, fault: AnswerFault) => string;

type WriteArgs = [chunk?: unknown, encoding?: unknown, callback?: unknown];

function chunkBuffer(chunk: unknown, encoding: unknown): Buffer | null {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return null;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

/**
 * Lets the call be served, but catches everything the handler writes and sends a spoiled version of it instead:
 * rewritten by `spoil` (wrongType, missingKey, huge), cut short with the connection dropped (truncated), or one
 * byte at a time (drip). The status and headers stay the handler's own, except the length.
 */
export function spoilAnswer(res: Response, fault: AnswerFault, spoil: AnswerSpoiler): void {
  const chunks: Buffer[] = [];
  const write = res.write;
  const end = res.end;
  const callbackOf = (args: WriteArgs) => args.find((a): a is () => void => typeof a === 'function');
  res.write = ((...args: WriteArgs) => {
    const buffer = chunkBuffer(args[0], args[1]);
    if (buffer) chunks.push(buffer);
    callbackOf(args)?.();
    return true;
  }) as Response['write'];
  res.end = ((...args: WriteArgs) => {
    const buffer = chunkBuffer(args[0], args[1]);
    if (buffer) chunks.push(buffer);
    res.write = write;
    res.end = end;
    const whole = Buffer.concat(chunks);
    const answer = fault.kind === 'wrongType' || fault.kind === 'missingKey' || fault.kind === 'huge' ? Buffer.from(spoil(whole.toString('utf8'), fault), 'utf8') : whole;
    deliver(res, fault, answer);
    callbackOf(args)?.();
    return res;
  }) as Response['end'];
}

function deliver(res: Response, fault: AnswerFault, answer: Buffer): void {
  res.removeHeader('ETag');
  if (fault.kind === 'truncated') {
    // The length announces the whole answer, so the client can tell it never got all of it.
    const cut = Math.min(fault.bytes ?? Math.floor(answer.length / 2), answer.length);
    res.setHeader('Content-Length', String(answer.length));
    res.write(answer.subarray(0, cut), () => res.destroy());
    return;
  }
  if (fault.kind === 'drip') {
    res.setHeader('Content-Length', String(answer.length));
    const limit = Math.min(fault.bytes ?? answer.length, answer.length);
    res.flushHeaders();
    let sent = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (sent >= limit) {
        if (limit < answer.length) res.destroy();
        else res.end();
        return;
      }
      res.write(answer.subarray(sent, sent + 1));
      sent++;
      if (fault.intervalMs > 0) setTimeout(next, fault.intervalMs);
      else setImmediate(next);
    };
    next();
    return;
  }
  res.setHeader('Content-Length', String(answer.length));
  res.end(answer);
}
