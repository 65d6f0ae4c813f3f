// Small helpers to build HTML and SVG elements without a framework.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') el.textContent = String(value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h('a', { href: '#x', class: 'link' }, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same signature as h. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace the content of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return build(el, {}, children);
}

/**
 * Replace the content of `el` as fill does, keeping the <details> with a `data-key` that its reader had open open
 * again: a live refresh draws the charts, the map and the alerts anew every 30 s, and would otherwise close the data
 * table a screen-reader user had opened. (Where the keyboard focus was, app.js keeps: focus.js.)
 */
export function refill(el, ...children) {
  const open = new Set(
    [...el.querySelectorAll('details[data-key]')]
      .filter((d) => d.open)
      .map((d) => d.getAttribute('data-key')),
  );
  fill(el, ...children);
  for (const d of el.querySelectorAll('details[data-key]'))
    if (open.has(d.getAttribute('data-key'))) d.open = true;
  return el;
}

/**
 * After a page was added to a list: the focus on the button for the next page (`buttonId`, drawn anew), or when none
 * is left on the first item added (`first`), so that a keyboard or screen-reader user goes on from where they were.
 */
export function focusAfterPaging(buttonId, first) {
  const next = byId(buttonId);
  if (next) return next.focus();
  if (!first) return;
  first.setAttribute('tabindex', '-1');
  first.focus();
}

export function byId(id) {
  return document.getElementById(id);
}

/** A table's head row: one column header per text. */
export function tableHead(texts) {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      texts.map((text) => h('th', { scope: 'col', text })),
    ),
  );
}
