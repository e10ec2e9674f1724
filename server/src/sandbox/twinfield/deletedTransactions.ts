// /webservices/DeletedTransactionsService.svc (WCF): Query with a GetDeletedTransactions query — company,
// optional daybook, optional deletion-date window — listing the office's deleted transactions. Names follow
// the service's data contracts as public clients use them (pronamic/wp-twinfield, melvinfolkers/twinfield):
// request Body/Query[i:type=GetDeletedTransactions]/{CompanyCode,DateFrom,DateTo,Daybook}; response
// Body/Result[i:type=GetDeletedTransactionsResult]/DeletedTransactions/DeletedTransaction/{Daybook,
// DeletionDate,ReasonForDeletion,TransactionDate,TransactionNumber,User}.
import { faults, NO_ACCESS_TO_OFFICE, TwinfieldFault } from './messages';
import { NS } from './soap';
import { requireCompany, type OperationReply, type SoapOperation, type SoapService } from './soapService';
import { childText } from './xmlRequest';

/** xs:date or xs:dateTime (UTC unless an offset is given) to epoch ms; a date-only upper bound means its whole day. */
function parseBound(raw: string | undefined, name: string, end: boolean): number | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value);
  const ms = dateOnly ? Date.parse(`${value}T00:00:00Z`) : dateTime ? Date.parse(/Z|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`) : NaN;
  if (Number.isNaN(ms)) throw new TwinfieldFault(187, `Ongeldige datum '${value}' in ${name}.`, 500);
  return dateOnly && end ? ms + 86_400_000 - 1 : ms;
}

/** WCF writes a UTC DateTime as 2026-11-23T17:38:00Z. */
const wcfDateTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const query: SoapOperation = {
  element: 'Query',
  soapAction: `${NS.twinfield}DeletedTransactionsService/Query`,
  // Query is a read.
  credits: () => 1,
  administration: (call) => childText(call.body, 'CompanyCode')?.trim() || call.header.companyCode,
  handle: (call, principal): OperationReply => {
    const company = (childText(call.body, 'CompanyCode')?.trim() || requireCompany(call, principal)).toUpperCase();
    const books = call.context.offices.get(company);
    if (!books) throw faults.accessDenied(NO_ACCESS_TO_OFFICE);
    const from = parseBound(childText(call.body, 'DateFrom'), 'DateFrom', false);
    const to = parseBound(childText(call.body, 'DateTo'), 'DateTo', true);
    const daybook = childText(call.body, 'Daybook')?.trim().toUpperCase() || undefined;
    const deletions = books.ledger.deletions
      .filter((d) => (from === undefined || d.deletedAt >= from) && (to === undefined || d.deletedAt <= to))
      .filter((d) => daybook === undefined || d.journal === daybook)
      .sort((a, b) => a.deletedAt - b.deletedAt);
    return {
      body: (w) => {
        w.open('Result', { xmlns: NS.twinfield, 'xmlns:i': NS.xsi, 'xmlns:b': NS.deletedTransactions, 'i:type': 'b:GetDeletedTransactionsResult' });
        w.open('b:DeletedTransactions');
        for (const d of deletions) {
          const date = books.entryDate(d.entryId);
          w.open('b:DeletedTransaction');
          w.element('b:Daybook', d.journal);
          w.element('b:DeletionDate', wcfDateTime(d.deletedAt));
          w.element('b:ReasonForDeletion', '');
          if (date) w.element('b:TransactionDate', `${date}T00:00:00`);
          else w.element('b:TransactionDate', null, { 'i:nil': 'true' });
          w.element('b:TransactionNumber', String(d.number));
          w.element('b:User', 'DEMO');
          w.close('b:DeletedTransaction');
        }
        w.close('b:DeletedTransactions');
        w.close('Result');
      },
    };
  },
};

export const deletedTransactionsService: SoapService = {
  path: '/webservices/DeletedTransactionsService.svc',
  style: 'wcf',
  operations: [query],
};
