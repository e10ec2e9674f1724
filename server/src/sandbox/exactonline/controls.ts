// The sandbox's own control surface (not part of Exact's API: no auth, no rate limit, no latency): served-call
// statistics, simulated bookkeeping changes and division moves, queued faults, the clock, and token ageing.
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { AdjustableClock, type Clock } from '../../clock';
import { faultRequestSchema, type FaultInjector, type SimulatorStats } from '../common/controls';
import type { DivisionBooks } from './books';
import type { TokenAuthority } from './oauth';
import type { RateLimiter } from './ratelimit';
import { sendExactError } from './wire';

export interface ControlsContext {
  clock: Clock;
  books: ReadonlyMap<number, DivisionBooks>;
  stats: SimulatorStats;
  faults: FaultInjector;
  authority: TokenAuthority;
  limiter: RateLimiter;
}

const count = z.number().int().min(0).max(100_000).default(0);
const simulateSchema = z.object({
  administration: z.union([z.string(), z.number()]).transform((v) => Number(v)),
  insert: count,
  update: count,
  delete: count,
  moveDivision: z.boolean().default(false),
});
const clockSchema = z.object({ advanceMs: z.number().int().min(0) });

function problem(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export function controlsRouter(ctx: ControlsContext): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb' });

  router.get('/_stats', (_req, res) => {
    res.json(ctx.stats);
  });

  router.post('/_stats/reset', (_req, res) => {
    ctx.stats.reset();
    ctx.limiter.reset();
    res.json(ctx.stats);
  });

  router.post('/_simulate', json, (req, res) => {
    const parsed = simulateSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendExactError(res, 400, problem(parsed.error));
    const books = ctx.books.get(parsed.data.administration);
    if (!books) return sendExactError(res, 404, `Division ${parsed.data.administration} is not one of the sandbox's divisions.`);
    const now = ctx.clock.now();
    if (parsed.data.moveDivision) return void res.json(books.move(now));
    res.json(books.simulate({ insert: parsed.data.insert, update: parsed.data.update, delete: parsed.data.delete }, now));
  });

  router.get('/_faults', (_req, res) => {
    res.json({ pending: ctx.faults.pending() });
  });

  router.post('/_faults', json, (req, res) => {
    const parsed = faultRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendExactError(res, 400, problem(parsed.error));
    res.json(ctx.faults.add(parsed.data));
  });

  // `?administration=` forgets one division's queued faults; without it, all of them.
  router.delete('/_faults', (req, res) => {
    const administration = typeof req.query.administration === 'string' ? req.query.administration : undefined;
    res.json({ cleared: ctx.faults.clear(administration), pending: ctx.faults.pending() });
  });

  router.post('/_clock', json, (req, res) => {
    if (!(ctx.clock instanceof AdjustableClock)) return sendExactError(res, 400, 'This sandbox runs on the system clock, which cannot be moved.');
    const parsed = clockSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendExactError(res, 400, problem(parsed.error));
    ctx.clock.advance(parsed.data.advanceMs);
    res.json({ now: ctx.clock.now(), offsetMs: ctx.clock.offset });
  });

  router.post('/_tokens/expire', (_req, res) => {
    res.json({ expired: ctx.authority.expireAccessTokens() });
  });

  // A control body that is not JSON (or too large) is the caller's mistake: answered like Exact's own errors.
  router.use(['/_stats', '/_simulate', '/_faults', '/_clock', '/_tokens'], (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (res.headersSent || typeof status !== 'number' || status < 400 || status >= 500) return next(error);
    sendExactError(res, status, status === 413 ? 'The control body is too large.' : 'The control body is not valid JSON.');
  });

  return router;
}
