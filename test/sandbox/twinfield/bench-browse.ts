// Benchmark (a script, not a test): how long the Twinfield simulator takes to answer a 030_3 browse of one book
// year with 12,500 lines and 27 fields: (1) producing the ProcessXmlString answer in-process (select, sort,
// write, encode to bytes), (2) the HTTP round trip of ProcessXmlString and ProcessXmlDocument until the whole
// body has arrived (the client runs in the same process, so its reading competes with the server).
// Run: npx tsx test/sandbox/twinfield/bench-browse.ts
import { parseBrowseRequest, prepareBrowse } from '../../../server/src/sandbox/twinfield/browse';
import { officeIndex } from '../../../server/src/sandbox/twinfield/officeBooks';
import { writeEnvelope } from '../../../server/src/sandbox/twinfield/soap';
import { parseXmlDocument } from '../../../server/src/sandbox/twinfield/xmlRequest';
import { XmlWriter } from '../../../server/src/sandbox/twinfield/xmlWriter';
import { asmxEnvelope, columnsRequest, escapeXml, login, postSoap, startSimulator, TWINFIELD } from './harness';

const FIELDS = [
  'fin.trs.head.office', 'fin.trs.head.year', 'fin.trs.head.period', 'fin.trs.head.code', 'fin.trs.head.number', 'fin.trs.head.date',
  'fin.trs.head.curcode', 'fin.trs.head.relation', 'fin.trs.head.modified', 'fin.trs.line.dim1', 'fin.trs.line.dim1name', 'fin.trs.line.dim1type',
  'fin.trs.line.dim2', 'fin.trs.line.dim2name', 'fin.trs.line.dim2type', 'fin.trs.line.dim3', 'fin.trs.line.valuesigned', 'fin.trs.line.basevaluesigned',
  'fin.trs.line.repvaluesigned', 'fin.trs.line.debitcredit', 'fin.trs.line.vatcode', 'fin.trs.line.quantity', 'fin.trs.line.description',
  'fin.trs.line.invnumber', 'fin.trs.line.matchstatus',
];

async function main(): Promise<void> {
  // Two demo years: 25,000 lines per office is 12,500 per book year.
  const h = await startSimulator({ rows: 25_000 });
  try {
    const tokens = await login(h);
    const header = { accessToken: tokens.access_token, companyCode: 'NLA310101' };
    const request = columnsRequest('030_3', [
      { field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2025/55' },
      { field: 'fin.trs.head.status', operator: 'equal', from: 'normal' },
      ...FIELDS.map((field) => ({ field })),
    ]);
    const books = officeIndex(h.sim.ledgers).get('NLA310101')!;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = performance.now();
      const prepared = prepareBrowse(parseBrowseRequest(parseXmlDocument(request).element), books);
      let bytes = 0;
      const writer = new XmlWriter((chunk) => (bytes += Buffer.from(chunk).length));
      writeEnvelope(writer, 'asmx', (w) => w.open('ProcessXmlStringResponse').open('ProcessXmlStringResult').asText((inner) => prepared.write(inner)).close('ProcessXmlStringResult').close('ProcessXmlStringResponse'));
      writer.end();
      console.log(`in-process #${attempt}: ${prepared.total} rows, ${(bytes / 1e6).toFixed(1)} MB produced in ${(performance.now() - started).toFixed(0)} ms`);
    }
    const calls = {
      ProcessXmlString: asmxEnvelope(header, `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>${escapeXml(request)}</xmlRequest></ProcessXmlString>`),
      ProcessXmlDocument: asmxEnvelope(header, `<ProcessXmlDocument xmlns="${TWINFIELD}"><xmlRequest>${request}</xmlRequest></ProcessXmlDocument>`),
    };
    for (const [operation, envelope] of Object.entries(calls)) {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const started = performance.now();
        const response = await postSoap(h, '/webservices/processxml.asmx', `${TWINFIELD}${operation}`, envelope);
        const elapsed = performance.now() - started;
        const total = /total=(?:"|&quot;)(\d+)/.exec(response.text)?.[1];
        console.log(`${operation} #${attempt}: HTTP ${response.status}, ${total} rows, ${(response.text.length / 1e6).toFixed(1)} MB in ${elapsed.toFixed(0)} ms`);
      }
    }
  } finally {
    await h.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
