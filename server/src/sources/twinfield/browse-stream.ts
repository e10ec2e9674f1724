// Reads a ProcessXmlDocument answer carrying a `<browse>` result while it streams in, with a SAX parser (saxes):
// the SOAP envelope is walked by element path, a fault is collected and thrown, and the browse header and rows are
// handed out as they complete — so a book year of tens of thousands of lines never exists as one string or tree.
// Strict: text that is not well-formed XML (cut off, undeclared entities, several roots) throws XmlSyntaxError.
// Pure: text in, rows out; the client feeds it chunks of the HTTP body.
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { TwinfieldFault } from './soap';
import { type BrowseCell, type BrowseColumn, type BrowseKey, type BrowseRow, type CellType, BrowseShapeError, cellType } from './browse';
import { XmlSyntaxError } from './xml';

/** The result document said `result="0"`: Twinfield refused the request (its message, usually Dutch). */
export class ResultRefused extends Error {
  constructor(
    readonly element: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ResultRefused';
  }
}

/** The answer is XML but not the expected shape (no result document, another root than `<browse>`). */
export class UnexpectedAnswer extends Error {}

const EMPTY_CELL: BrowseCell = Object.freeze({ text: '' });
const KEY_PARTS = new Set<keyof BrowseKey>(['office', 'code', 'number', 'line']);

/** Local name of a possibly prefixed XML name. */
const local = (name: string) => {
  const at = name.indexOf(':');
  return at < 0 ? name : name.slice(at + 1);
};

/** Depths of the envelope: Envelope(0) / Body(1) / ProcessXmlDocumentResponse(2) / ProcessXmlDocumentResult(3) / browse(4). */
const RESULT_DEPTH = 4;

/** Where a text accumulator's content goes when its element closes. */
type TextTarget = 'column' | 'cell' | 'key' | 'fault' | null;

export class BrowseStreamReader {
  private readonly parser = new SaxesParser({ xmlns: false });
  private readonly path: string[] = [];
  private columns: BrowseColumn[] | null = null;
  private position = new Map<string, number>();
  private total: number | undefined;
  private rows: BrowseRow[] = [];
  private rowCount = 0;
  private sawResult = false;
  private sawEnvelope = false;
  // The row being read.
  private cells: BrowseCell[] | null = null;
  private cellIndex = 0;
  private cellAt = -1;
  private cellAttributes: { type?: CellType; name?: string } = {};
  private key: BrowseKey | undefined;
  private keyPart: keyof BrowseKey | null = null;
  private pendingColumn: { label?: string; type?: CellType } | null = null;
  // Text of the innermost element that keeps its text.
  private target: TextTarget = null;
  private text = '';
  private readonly fault = { code: '', string: '', message: '', detailCode: '' };
  private faultPart: keyof BrowseStreamReader['fault'] | null = null;
  private error: unknown;

  constructor() {
    this.parser.on('error', (err) => {
      // The first error wins; saxes goes on after reporting one, so later ones are noise.
      this.error ??= new XmlSyntaxError(err.message);
    });
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', () => this.close());
    this.parser.on('text', (text) => this.appendText(text));
    this.parser.on('cdata', (text) => this.appendText(text));
  }

  /** Feeds the next piece of the answer; throws as soon as it is known to be malformed or a fault. */
  write(chunk: string): void {
    this.parser.write(chunk);
    this.check();
  }

  /** The answer is complete: throws when it was cut off or did not hold a browse result. */
  end(): void {
    this.parser.close();
    this.check();
    if (!this.sawEnvelope) throw new UnexpectedAnswer('the answer is not a SOAP envelope');
    if (!this.sawResult) throw new UnexpectedAnswer('the answer holds no ProcessXmlDocumentResult document');
  }

  /** The header, once `<th>` has been read (null before). */
  get header(): readonly BrowseColumn[] | null {
    return this.columns;
  }

  /** `total` of `<browse>`, or the rows read when Twinfield did not say. */
  get totalRows(): number {
    return this.total ?? this.rowCount;
  }

  /** Rows completed since the last `take()`. */
  get pending(): number {
    return this.rows.length;
  }

  /** Hands out the rows completed so far. */
  take(): BrowseRow[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }

  private check(): void {
    if (this.error !== undefined) {
      const error = this.error;
      this.error = undefined;
      throw error;
    }
  }

  private fail(error: unknown): void {
    this.error ??= error;
  }

  private open(tag: SaxesTagPlain): void {
    const name = local(tag.name);
    const depth = this.path.length;
    this.path.push(name);
    this.target = null;
    if (depth === 0) {
      this.sawEnvelope = name === 'Envelope';
      return;
    }
    if (!this.sawEnvelope || this.path[1] !== 'Body') return;
    if (depth === 2 && name === 'Fault') return;
    if (this.path[2] === 'Fault') return this.openFaultPart(name, depth);
    if (depth < RESULT_DEPTH) return;
    if (this.path[2] !== 'ProcessXmlDocumentResponse' || this.path[3] !== 'ProcessXmlDocumentResult') return;
    const attributes = tag.attributes;
    if (depth === RESULT_DEPTH) return this.openResult(name, attributes);
    if (this.path[RESULT_DEPTH] !== 'browse') return;
    const level = depth - RESULT_DEPTH;
    if (level === 1) {
      if (name === 'tr') {
        if (this.columns === null) return this.fail(new BrowseShapeError(`row ${this.rowCount + 1} comes before the header (<th>)`));
        this.cells = new Array<BrowseCell>(this.columns.length);
        this.cellIndex = 0;
        this.key = undefined;
      } else if (name === 'th') {
        this.columns = [];
      }
      return;
    }
    const parent = this.path[depth - 1];
    if (level === 2 && name === 'td' && parent === 'th' && this.columns !== null) {
      this.pendingColumn = { label: attributes.label, type: cellType(attributes.type) };
      this.startText('column');
    } else if (level === 2 && name === 'td' && parent === 'tr' && this.cells !== null) {
      const field = attributes.field;
      const at = field === undefined ? this.cellIndex : this.position.get(field);
      if (at === undefined || at >= this.cells.length) {
        return this.fail(new BrowseShapeError(`row ${this.rowCount + 1} has a cell for ${field ?? `column ${this.cellIndex + 1}`}, which is not in the header`));
      }
      this.cellAt = at;
      this.cellAttributes = { type: cellType(attributes.type), name: attributes.name };
      this.startText('cell');
    } else if (level === 2 && name === 'key' && parent === 'tr') {
      this.key = { office: '', code: '', number: '', line: '' };
    } else if (level === 3 && parent === 'key' && this.key && KEY_PARTS.has(name as keyof BrowseKey)) {
      this.keyPart = name as keyof BrowseKey;
      this.startText('key');
    }
  }

  private openResult(name: string, attributes: Record<string, string>): void {
    this.sawResult = true;
    if (attributes.result === '0') return this.fail(new ResultRefused(name, attributes.msg ?? 'no reason given'));
    if (name !== 'browse') return this.fail(new UnexpectedAnswer(`Twinfield answered <${name}> instead of <browse>`));
    const total = attributes.total;
    if (total !== undefined && /^\d+$/.test(total)) this.total = Number(total);
  }

  private openFaultPart(name: string, depth: number): void {
    const parent = this.path[depth - 1];
    if (depth === 3 && (name === 'faultcode' || name === 'faultstring')) this.faultPart = name === 'faultcode' ? 'code' : 'string';
    else if (depth === 4 && parent === 'detail' && (name === 'message' || name === 'code')) this.faultPart = name === 'message' ? 'message' : 'detailCode';
    else return;
    this.startText('fault');
  }

  private close(): void {
    const depth = this.path.length - 1;
    const name = this.path.pop();
    const target = this.target;
    this.target = null;
    if (target === 'column' && this.columns && this.pendingColumn) {
      this.columns.push({ field: this.text.trim(), ...this.pendingColumn });
      this.pendingColumn = null;
    } else if (target === 'cell' && this.cells) {
      const { type, name: display } = this.cellAttributes;
      this.cells[this.cellAt] = type === undefined && display === undefined ? { text: this.text } : { text: this.text, type, name: display };
      this.cellIndex++;
    } else if (target === 'key' && this.key && this.keyPart) {
      this.key[this.keyPart] = this.text.trim();
      this.keyPart = null;
    } else if (target === 'fault' && this.faultPart) {
      this.fault[this.faultPart] = this.text.trim();
      this.faultPart = null;
    }
    if (depth === RESULT_DEPTH + 1 && this.path[RESULT_DEPTH] === 'browse') {
      if (name === 'th' && this.columns) this.position = new Map(this.columns.map((c, i) => [c.field, i]));
      else if (name === 'tr' && this.cells) {
        // Cells Twinfield left out are empty; one shared object stands for all of them.
        for (let i = 0; i < this.cells.length; i++) this.cells[i] ??= EMPTY_CELL;
        this.rows.push({ cells: this.cells, key: this.key });
        this.rowCount++;
        this.cells = null;
      }
    }
    if (depth === 2 && name === 'Fault' && this.path[1] === 'Body') {
      const code = /^\d+$/.test(this.fault.detailCode) ? Number(this.fault.detailCode) : undefined;
      const side = this.fault.code.replace(/^.*:/, '').trim() || 'Server';
      this.fail(new TwinfieldFault(code, this.fault.message || this.fault.string || 'SOAP fault without a message', 200, side));
    }
  }

  private startText(target: TextTarget): void {
    this.target = target;
    this.text = '';
  }

  private appendText(text: string): void {
    if (this.target !== null) this.text += text;
  }
}
