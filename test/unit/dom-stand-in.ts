// A small stand-in for the browser's DOM, enough for the dashboard's modules (services/query-api/public/*.js) to
// build, fill and re-fill elements, focus them, read a form and be clicked in a unit test without a browser: elements
// with attributes, children, text, listeners, focus and `open`; selectors of `*`, tags, ids, classes and attributes,
// with descendants; FormData of a form's named fields. Anything else a module asks for is missing, and the test says
// so. Not a test file itself.

type Listener = (event: StandInEvent) => unknown;

const XHTML = 'http://www.w3.org/1999/xhtml';

export interface StandInEvent {
  type: string;
  target?: StandInElement;
  defaultPrevented: boolean;
  preventDefault(): void;
}

export function event(type: string): StandInEvent {
  return {
    type,
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

export class StandInNode {
  parentNode: StandInElement | null = null;
  constructor(readonly doc: StandInDocument) {}
  get textContent(): string {
    return '';
  }
  /** Whether it hangs from the document, as a shown element does (focus.js asks after a rebuild). */
  get isConnected(): boolean {
    return this.doc.documentElement.contains(this);
  }
  remove(): void {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }
}

export class StandInText extends StandInNode {
  constructor(
    doc: StandInDocument,
    public data: string,
  ) {
    super(doc);
  }
  override get textContent(): string {
    return this.data;
  }
}

/** One compound selector: `*` or a tag, id, classes and attributes (with or without a value). */
interface Compound {
  tag?: string;
  id?: string;
  classes: string[];
  attributes: { name: string; value?: string }[];
}

function parseCompound(text: string): Compound {
  const c: Compound = { classes: [], attributes: [] };
  let rest = text;
  while (rest) {
    const m = /^(?:([a-zA-Z][\w-]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:="([^"]*)")?\]|\*)/.exec(rest);
    if (!m) throw new Error(`the DOM stand-in does not read the selector "${text}" (at "${rest}")`);
    if (m[1]) c.tag = m[1].toLowerCase();
    if (m[2]) c.id = m[2];
    if (m[3]) c.classes.push(m[3]);
    if (m[4]) c.attributes.push({ name: m[4], value: m[5] });
    rest = rest.slice(m[0].length);
  }
  return c;
}

function matchesCompound(el: StandInElement, c: Compound): boolean {
  if (c.tag && el.localName.toLowerCase() !== c.tag) return false;
  if (c.id && el.getAttribute('id') !== c.id) return false;
  const classes = (el.getAttribute('class') ?? '').split(/\s+/);
  if (!c.classes.every((x) => classes.includes(x))) return false;
  return c.attributes.every((a) =>
    a.value === undefined ? el.hasAttribute(a.name) : el.getAttribute(a.name) === a.value,
  );
}

/** Whether `el` matches `selector`: compounds separated by spaces, the last one `el`'s, the others its ancestors'. */
function matches(el: StandInElement, selector: string): boolean {
  const parts = selector.trim().split(/\s+/).map(parseCompound);
  if (!matchesCompound(el, parts[parts.length - 1]!)) return false;
  let i = parts.length - 2;
  for (let up = el.parentNode; up && i >= 0; up = up.parentNode) if (matchesCompound(up, parts[i]!)) i--;
  return i < 0;
}

export class StandInElement extends StandInNode {
  readonly localName: string;
  readonly attributes = new Map<string, string>();
  readonly childNodes: StandInNode[] = [];
  readonly listeners = new Map<string, Listener[]>();
  /** The field's value (inputs and selects); set by a test as a user would. */
  value = '';
  constructor(
    doc: StandInDocument,
    tag: string,
    readonly namespaceURI: string | null = XHTML,
  ) {
    super(doc);
    this.localName = namespaceURI === XHTML ? tag.toLowerCase() : tag;
  }
  /** Upper case for HTML, as written for SVG (a browser's `path`). */
  get tagName(): string {
    return this.namespaceURI === XHTML ? this.localName.toUpperCase() : this.localName;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  getAttributeNames(): string[] {
    return [...this.attributes.keys()];
  }
  get id(): string {
    return this.getAttribute('id') ?? '';
  }
  set id(value: string) {
    this.setAttribute('id', value);
  }
  get className(): string {
    return this.getAttribute('class') ?? '';
  }
  set className(value: string) {
    this.setAttribute('class', value);
  }
  get open(): boolean {
    return this.hasAttribute('open');
  }
  set open(value: boolean) {
    if (value) this.setAttribute('open', '');
    else this.removeAttribute('open');
  }
  get hidden(): boolean {
    return this.hasAttribute('hidden');
  }
  set hidden(value: boolean) {
    if (value) this.setAttribute('hidden', '');
    else this.removeAttribute('hidden');
  }
  get dataset(): Record<string, string | undefined> {
    const attr = (key: string) => `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return new Proxy({} as Record<string, string | undefined>, {
      get: (_t, key) => (typeof key === 'string' ? (this.getAttribute(attr(key)) ?? undefined) : undefined),
      set: (_t, key, value) => {
        this.setAttribute(attr(String(key)), String(value));
        return true;
      },
    });
  }
  override get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  override set textContent(text: string) {
    this.replaceChildren(text);
  }
  get children(): StandInElement[] {
    return this.childNodes.filter((c): c is StandInElement => c instanceof StandInElement);
  }
  hasChildNodes(): boolean {
    return this.childNodes.length > 0;
  }
  append(...nodes: (StandInNode | string)[]): void {
    for (const n of nodes) {
      const node = typeof n === 'string' ? new StandInText(this.doc, n) : n;
      node.remove();
      node.parentNode = this;
      this.childNodes.push(node);
    }
  }
  replaceChildren(...nodes: (StandInNode | string)[]): void {
    for (const c of [...this.childNodes]) c.remove();
    this.append(...nodes);
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  /** Runs the listeners; resolves to what they return (an async handler's promise), for a test to wait on. */
  dispatchEvent(e: StandInEvent): Promise<unknown[]> {
    e.target ??= this;
    return Promise.all((this.listeners.get(e.type) ?? []).map((l) => l(e)));
  }
  click(): Promise<unknown[]> {
    return this.dispatchEvent(event('click'));
  }
  focus(): void {
    this.doc.activeElement = this;
  }
  contains(node: StandInNode | null): boolean {
    for (let n: StandInNode | null = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  /** Every descendant element, in document order. */
  descendants(): StandInElement[] {
    return this.children.flatMap((c) => [c, ...c.descendants()]);
  }
  querySelectorAll(selector: string): StandInElement[] {
    const alternatives = selector.split(',');
    return this.descendants().filter((el) => alternatives.some((s) => matches(el, s)));
  }
  querySelector(selector: string): StandInElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
  /** A form's fields by name (form.elements.limit). */
  get elements(): Record<string, StandInElement | undefined> {
    const named = this.descendants().filter((el) => el.hasAttribute('name'));
    return Object.fromEntries(named.map((el) => [el.getAttribute('name')!, el]));
  }
  reset(): void {
    for (const el of this.descendants()) if (el.hasAttribute('name')) el.value = '';
    void this.dispatchEvent(event('reset'));
  }
}

export class StandInDocument {
  readonly documentElement: StandInElement;
  readonly body: StandInElement;
  activeElement: StandInElement;
  constructor() {
    this.documentElement = new StandInElement(this, 'html');
    this.body = new StandInElement(this, 'body');
    this.documentElement.append(this.body);
    this.activeElement = this.body;
  }
  createElement(tag: string): StandInElement {
    return new StandInElement(this, tag);
  }
  createElementNS(ns: string, tag: string): StandInElement {
    return new StandInElement(this, tag, ns);
  }
  createTextNode(text: string): StandInText {
    return new StandInText(this, text);
  }
  getElementById(id: string): StandInElement | null {
    return this.documentElement.descendants().find((el) => el.getAttribute('id') === id) ?? null;
  }
  querySelectorAll(selector: string): StandInElement[] {
    return this.documentElement.querySelectorAll(selector);
  }
}

/** The named fields of a form and their values, as the browser's FormData gives them. */
class StandInFormData {
  private readonly fields: [string, string][];
  constructor(form: StandInElement) {
    this.fields = form
      .descendants()
      .filter((el) => el.hasAttribute('name'))
      .map((el) => [el.getAttribute('name')!, el.value]);
  }
  [Symbol.iterator]() {
    return this.fields[Symbol.iterator]();
  }
}

const GLOBALS = ['document', 'Node', 'FormData'] as const;

/** Put a fresh stand-in document in place of the browser's globals; `restore()` puts back what was there. */
export function installDom(): { document: StandInDocument; restore(): void } {
  const g = globalThis as Record<string, unknown>;
  const before = Object.fromEntries(GLOBALS.map((k) => [k, g[k]]));
  const doc = new StandInDocument();
  g.document = doc;
  g.Node = StandInNode;
  g.FormData = StandInFormData;
  return {
    document: doc,
    restore() {
      for (const k of GLOBALS) {
        if (before[k] === undefined) delete g[k];
        else g[k] = before[k];
      }
    },
  };
}

/** An element of `tag` with `attributes`, built in `doc` and appended to `parent` (the body by default). */
export function element(
  doc: StandInDocument,
  tag: string,
  attributes: Record<string, string> = {},
  parent: StandInElement = doc.body,
): StandInElement {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  parent.append(el);
  return el;
}
