// The OData feed's public surface: the router other parts mount, the dependency contract, and the
// $filter analysis the sync part may reuse.
export { createFeedRouter, type FeedRouter } from './router';
export type { AdministrationStatus, FeedDependencies, FreshnessRequest, TableSyncStatus } from './dependencies';
export { administrationsInFilter, type AdministrationScope } from './scope';
export { parseFilter } from './parser';
export { NotAcceptable, MethodNotAllowed, errorResponse, WWW_AUTHENTICATE } from './errors';
