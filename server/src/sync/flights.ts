// In-process single-flight: concurrent requests for the same administration and table share one sync.
// The shared sync is cancelled only when every requester that joined it has gone away, so one impatient
// client never cancels a sync another client is still waiting for.
import { SyncCancelled } from './errors';

export class Flight<T, L> {
  readonly controller = new AbortController();
  readonly done: Promise<T>;
  /** Listeners (e.g. progress observers) every requester brought along; the run reports to all of them. */
  readonly listeners = new Set<L>();
  private requesters = 0;
  private settled = false;

  constructor(
    /** A forced reload; a plain request may join it, but a forced request does not join a plain sync. */
    readonly forced: boolean,
    run: (signal: AbortSignal, listeners: ReadonlySet<L>) => Promise<T>,
    /** A previous flight for the same key that must settle first (its sync may still be winding down). */
    after?: Promise<unknown>,
  ) {
    const start = after ? after.then(noop, noop) : Promise.resolve();
    this.done = start.then(() => run(this.controller.signal, this.listeners));
    this.done.then(
      () => (this.settled = true),
      () => (this.settled = true),
    );
  }

  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Waits for the shared sync. Aborting `signal` rejects this wait at once, and cancels the sync if nobody else waits. */
  join(signal?: AbortSignal, listener?: L): Promise<T> {
    this.requesters++;
    if (listener !== undefined) this.listeners.add(listener);
    // A requester without a signal never leaves: the sync runs to its end.
    if (!signal) return this.done;
    if (signal.aborted) {
      this.leave();
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.leave();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.done.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  cancel(reason: string): void {
    if (!this.settled) this.controller.abort(new SyncCancelled(reason));
  }

  private leave(): void {
    this.requesters--;
    if (this.requesters === 0) this.cancel('every requester of this sync has gone away');
  }
}

export interface FlightRequest<T, L> {
  key: string;
  forced: boolean;
  signal?: AbortSignal;
  listener?: L;
  run: (signal: AbortSignal, listeners: ReadonlySet<L>) => Promise<T>;
}

export class FlightRegistry<T, L> {
  private readonly flights = new Map<string, Flight<T, L>>();

  /** Joins the sync in flight for `key`, or starts one with `run`. */
  request({ key, forced, signal, listener, run }: FlightRequest<T, L>): Promise<T> {
    const current = this.flights.get(key);
    if (current && !current.cancelled && (current.forced || !forced)) return current.join(signal, listener);
    const flight = new Flight<T, L>(forced, run, current?.done);
    this.flights.set(key, flight);
    flight.done.then(
      () => this.forget(key, flight),
      () => this.forget(key, flight),
    );
    return flight.join(signal, listener);
  }

  get size(): number {
    return this.flights.size;
  }

  cancelAll(reason: string): void {
    for (const flight of this.flights.values()) flight.cancel(reason);
  }

  private forget(key: string, flight: Flight<T, L>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }
}

function noop(): void {}
