// The upstream books of the crash test, identical in the test and in the child processes it kills:
// generation 1 is the initial state; generation 2 changes, deletes and adds accounts (a reload must swap them in).
import { FakeConnector } from './fake-connector';

export const CRASH_CODES = ['310101', '310102'];

export function crashScenario(generation: number, delayMs: number): FakeConnector {
  const fake = new FakeConnector({ seed: 'crash', codes: CRASH_CODES, lines: 500, accounts: 300, pageSize: 10, delayMs });
  if (generation >= 2) {
    for (const code of CRASH_CODES) {
      fake.updateAccounts(code, 20);
      fake.deleteAccounts(code, 7);
      fake.insertAccounts(code, 5);
    }
  }
  return fake;
}
