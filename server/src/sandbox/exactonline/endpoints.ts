// The URL table of the simulated REST API: which entity each standard, bulk and sync path serves, its page
// size, and the restrictions Exact puts on it (mandatory $select, mandatory filtering when a sync twin exists).
import type { EdmType } from './filter';
import { DELETED_PROPERTIES, ENTITIES, type EntitySpec } from './entities';
import type { EntityShape } from './query';

export type EndpointKind = 'standard' | 'bulk' | 'sync' | 'deleted';

export interface Endpoint {
  /** Path after `/api/v1/{division}/`, as Exact spells it. */
  path: string;
  kind: EndpointKind;
  /** Undefined for sync/Deleted, which has its own rows. */
  entity?: EntitySpec;
  shape: EntityShape;
  pageSize: number;
  /** 400 "Please add a $select or a $top=1 statement…" without either. */
  requiresSelect: boolean;
  /** Sync twin: without $filter this endpoint answers "This endpoint has mandatory filtering applied." */
  syncTwin?: string;
}

export const STANDARD_PAGE = 60;
export const BULK_PAGE = 1000;

function shapeOf(entity: EntitySpec, kind: EndpointKind, service: string): EntityShape {
  const properties = new Map<string, EdmType>(entity.properties);
  // Row versions are only exposed by the sync API.
  if (kind !== 'sync') properties.delete('Timestamp');
  const type = kind === 'sync' ? entity.type.replace('Exact.Web.Api.Models.', `Exact.Web.Api.Models.Sync.${service}.`) : entity.type;
  return {
    type,
    properties,
    navigation: kind === 'standard' ? entity.navigation.map((n) => n.name) : [],
    key: kind === 'sync' ? 'Timestamp' : entity.key,
  };
}

function endpoint(path: string, kind: Exclude<EndpointKind, 'deleted'>, entity: EntitySpec, extra: { requiresSelect?: boolean; syncTwin?: string } = {}): Endpoint {
  const service = path.split('/')[kind === 'standard' ? 0 : 1];
  return {
    path,
    kind,
    entity,
    shape: shapeOf(entity, kind, service),
    pageSize: kind === 'standard' ? STANDARD_PAGE : BULK_PAGE,
    requiresSelect: kind !== 'standard' || extra.requiresSelect === true,
    syncTwin: kind === 'sync' ? undefined : extra.syncTwin,
  };
}

const E = ENTITIES;
const SYNC = {
  GLAccounts: 'sync/Financial/GLAccounts',
  TransactionLines: 'sync/Financial/TransactionLines',
  Accounts: 'sync/CRM/Accounts',
  SalesInvoices: 'sync/SalesInvoice/SalesInvoices',
  PaymentTerms: 'sync/Cashflow/PaymentTerms',
  Projects: 'sync/Project/Projects',
  Items: 'sync/Logistics/Items',
};

export const ENDPOINTS: readonly Endpoint[] = [
  endpoint('financial/GLAccounts', 'standard', E.GLAccounts, { syncTwin: SYNC.GLAccounts }),
  endpoint('financialtransaction/TransactionLines', 'standard', E.TransactionLines, { requiresSelect: true, syncTwin: SYNC.TransactionLines }),
  endpoint('financialtransaction/Transactions', 'standard', E.Transactions),
  endpoint('crm/Accounts', 'standard', E.Accounts, { syncTwin: SYNC.Accounts }),
  endpoint('salesinvoice/SalesInvoices', 'standard', E.SalesInvoices, { syncTwin: SYNC.SalesInvoices }),
  endpoint('salesinvoice/SalesInvoiceLines', 'standard', E.SalesInvoiceLines, { requiresSelect: true }),
  endpoint('financial/Journals', 'standard', E.Journals),
  endpoint('financial/ReportingBalance', 'standard', E.ReportingBalance),
  endpoint('budget/Budgets', 'standard', E.Budgets),
  endpoint('cashflow/Receivables', 'standard', E.Receivables, { requiresSelect: true }),
  endpoint('cashflow/Payments', 'standard', E.Payments, { requiresSelect: true }),
  endpoint('logistics/Items', 'standard', E.Items, { syncTwin: SYNC.Items }),
  endpoint('project/Projects', 'standard', E.Projects, { syncTwin: SYNC.Projects }),

  endpoint('bulk/Financial/GLAccounts', 'bulk', E.GLAccounts, { syncTwin: SYNC.GLAccounts }),
  endpoint('bulk/Financial/TransactionLines', 'bulk', E.TransactionLines, { syncTwin: SYNC.TransactionLines }),
  endpoint('bulk/CRM/Accounts', 'bulk', E.Accounts, { syncTwin: SYNC.Accounts }),
  endpoint('bulk/SalesInvoice/SalesInvoices', 'bulk', E.SalesInvoices, { syncTwin: SYNC.SalesInvoices }),
  endpoint('bulk/Cashflow/Receivables', 'bulk', E.Receivables),
  endpoint('bulk/Cashflow/Payments', 'bulk', E.Payments),
  endpoint('bulk/Logistics/Items', 'bulk', E.Items, { syncTwin: SYNC.Items }),

  endpoint(SYNC.GLAccounts, 'sync', E.GLAccounts),
  endpoint(SYNC.TransactionLines, 'sync', E.TransactionLines),
  endpoint(SYNC.Accounts, 'sync', E.Accounts),
  endpoint(SYNC.SalesInvoices, 'sync', E.SalesInvoices),
  endpoint(SYNC.PaymentTerms, 'sync', E.PaymentTerms),
  endpoint(SYNC.Projects, 'sync', E.Projects),
  endpoint(SYNC.Items, 'sync', E.Items),
  {
    path: 'sync/Deleted',
    kind: 'deleted',
    shape: { type: 'Exact.Web.Api.Models.Sync.Deleted', properties: DELETED_PROPERTIES, navigation: [], key: 'Timestamp' },
    pageSize: BULK_PAGE,
    requiresSelect: true,
  },
];

const BY_PATH = new Map(ENDPOINTS.map((e) => [e.path.toLowerCase(), e]));

/** Exact's paths are case-insensitive (IIS). */
export function findEndpoint(path: string): Endpoint | undefined {
  return BY_PATH.get(path.toLowerCase());
}
