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
