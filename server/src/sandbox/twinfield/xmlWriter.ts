// Streams XML text for the Twinfield simulator's responses. Every text and attribute value passes through
// the escaping here, and element/attribute names are checked against the XML name grammar. The writer can
// also emit a whole document *as escaped text* (ProcessXmlStringResult) in the same pass.
// Why not fast-xml-builder: measured 0.6–1.0 s for a 12,500-row browse plus 1.9–3 s to entity-escape it into
// ProcessXmlStringResult; this writer does both in well under a second (test/sandbox/twinfield/bench-browse.ts).

// No numeric character references are written: common parsers (fast-xml-parser without htmlEntities) leave
// `&#xD;` undecoded, so tab, CR and LF go out as themselves.

/** Characters that must be escaped in text, or cannot appear in XML 1.0 at all (control characters, lone surrogates). */
const TEXT_SPECIAL = /[&<>]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TEXT_SPECIAL_ALL = new RegExp(TEXT_SPECIAL.source, 'g');
/** In (double-quoted) attributes also the quote. */
const ATTR_SPECIAL = /[&<>"]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ATTR_SPECIAL_ALL = new RegExp(ATTR_SPECIAL.source, 'g');

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};
/** Characters XML 1.0 cannot carry become U+FFFD, as a lenient serializer would. */
const replace = (c: string): string => REPLACEMENTS[c] ?? '\uFFFD';

export function escapeText(value: string): string {
  return TEXT_SPECIAL.test(value) ? value.replace(TEXT_SPECIAL_ALL, replace) : value;
}

export function escapeAttribute(value: string): string {
  return ATTR_SPECIAL.test(value) ? value.replace(ATTR_SPECIAL_ALL, replace) : value;
}

/** XML Name production, restricted to what the Twinfield vocabulary uses (ASCII letters, digits, `_ - . :`). */
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`not an XML name: ${JSON.stringify(name)}`);
  return name;
}

/** Markup of one element name at one nesting level, built (and the name checked) once. */
interface Tag {
  /** `<name` */
  start: string;
  /** `</name>` */
  end: string;
}
const tagCache: [Map<string, Tag>, Map<string, Tag>] = [new Map(), new Map()];
function tag(name: string, level: 0 | 1): Tag {
  let found = tagCache[level].get(name);
  if (!found) {
    checkName(name);
    found = level === 0 ? { start: `<${name}`, end: `</${name}>` } : { start: `&lt;${name}`, end: `&lt;/${name}&gt;` };
    tagCache[level].set(name, found);
  }
  return found;
}

export type Attributes = Record<string, string | number | undefined | null>;

/**
 * Attributes escaped once and reused for many elements (a browse writes the same cell attributes hundreds of
 * thousands of times). Immutable: the values are copied when prepared.
 */
export class PreparedAttributes {
  private readonly pairs: [string, string][];
  private readonly rendered: [string | undefined, string | undefined] = [undefined, undefined];

  constructor(attributes: Attributes) {
    this.pairs = [];
    for (const key in attributes) {
      const value = attributes[key];
      if (value !== undefined && value !== null) this.pairs.push([checkName(key), escapeAttribute(String(value))]);
    }
  }

  render(level: 0 | 1): string {
    let text = this.rendered[level];
    if (text === undefined) {
      text = '';
      for (const [key, escaped] of this.pairs) text += ' ' + key + '="' + (level === 0 ? escaped : escapeText(escaped)) + '"';
      this.rendered[level] = text;
    }
    return text;
  }
}

/** How much text a streaming writer gathers before handing it on. */
const CHUNK_SIZE = 256 * 1024;

/**
 * Appends XML to a string, or streams it in chunks to `sink` (a 30 MB browse never becomes one string).
 * Nesting level 1 (inside {@link XmlWriter.asText}) writes the same markup entity-escaped, as the content
 * of a string element.
 */
export class XmlWriter {
  private out = '';
  private readonly stack: string[] = [];
  private level: 0 | 1 = 0;
  private gt = '>';

  constructor(private readonly sink?: (chunk: string) => void) {}

  declaration(): this {
    if (this.out !== '' || this.level !== 0) throw new Error('the XML declaration comes first');
    this.out = '<?xml version="1.0" encoding="utf-8"?>';
    return this;
  }

  /** Opens `<name attr="…">`; undefined and null attributes are left out. */
  open(name: string, attributes?: Attributes | PreparedAttributes): this {
    this.out += tag(name, this.level).start + this.attributes(attributes) + this.gt;
    this.stack.push(name);
    if (this.sink && this.out.length >= CHUNK_SIZE) this.flush();
    return this;
  }

  close(name: string): this {
    const open = this.stack.pop();
    if (open !== name) throw new Error(`closing <${name}> while <${open ?? 'nothing'}> is open`);
    this.out += tag(name, this.level).end;
    if (this.sink && this.out.length >= CHUNK_SIZE) this.flush();
    return this;
  }

  text(value: string | number): this {
    this.out += this.escapeTextValue(String(value));
    if (this.sink && this.out.length >= CHUNK_SIZE) this.flush();
    return this;
  }

  /** A complete element: `<name …>text</name>`, or `<name …/>` when `text` is null or undefined. */
  element(name: string, text?: string | number | null, attributes?: Attributes | PreparedAttributes): this {
    const t = tag(name, this.level);
    if (text === undefined || text === null) {
      this.out += t.start + this.attributes(attributes) + '/' + this.gt;
    } else {
      this.out += t.start + this.attributes(attributes) + this.gt + this.escapeTextValue(typeof text === 'string' ? text : String(text)) + t.end;
    }
    if (this.sink && this.out.length >= CHUNK_SIZE) this.flush();
    return this;
  }

  /** Writes what `write` produces as escaped text of the current element (an XML document inside a string). */
  asText(write: (writer: this) => void): this {
    if (this.level !== 0) throw new Error('documents nest as text only one level deep');
    const depth = this.stack.length;
    this.level = 1;
    this.gt = '&gt;';
    try {
      write(this);
      if (this.stack.length !== depth) throw new Error(`unclosed <${this.stack[this.stack.length - 1]}> in a nested document`);
    } finally {
      this.level = 0;
      this.gt = '>';
    }
    return this;
  }

  /** The whole document (a writer without a sink). */
  toString(): string {
    if (this.sink) throw new Error('a streaming writer has no string');
    if (this.stack.length > 0) throw new Error(`unclosed <${this.stack[this.stack.length - 1]}>`);
    return this.out;
  }

  /** Hands the rest of the document to the sink (a streaming writer). */
  end(): void {
    if (!this.sink) throw new Error('only a streaming writer ends');
    if (this.stack.length > 0) throw new Error(`unclosed <${this.stack[this.stack.length - 1]}>`);
    this.flush();
  }

  private flush(): void {
    if (this.out.length > 0) this.sink!(this.out);
    this.out = '';
  }

  private attributes(attributes: Attributes | PreparedAttributes | undefined): string {
    if (!attributes) return '';
    if (attributes instanceof PreparedAttributes) return attributes.render(this.level);
    let s = '';
    for (const key in attributes) {
      const value = attributes[key];
      if (value === undefined || value === null) continue;
      const escaped = escapeAttribute(String(value));
      s += ' ' + checkName(key) + '="' + (this.level === 0 ? escaped : escapeText(escaped)) + '"';
    }
    return s;
  }

  private escapeTextValue(value: string): string {
    const escaped = escapeText(value);
    return this.level === 0 ? escaped : escapeText(escaped);
  }
}
