// Keyboard focus across a panel's rebuild: a live refresh replaces a panel's content, and the element a keyboard user
// was on would go with it, dropping the focus to the page's start. The same element, rebuilt, gets it back.

/**
 * What names an element among those a rebuild makes again: its tag, id, name, link and `data-focus-key` (which the
 * panels give what they draw for the keyboard: a map's flow by its countries, an alert's link by the alert and the
 * report). Nothing else: what a refresh changes (a flow's count) must not lose the element, and a link to a report
 * that several alerts name is told apart by its key, not its address alone.
 */
function signature(el) {
  const named = ['id', 'name', 'href', 'data-focus-key']
    .filter((n) => el.hasAttribute(n))
    .map((n) => `${n}=${el.getAttribute(n)}`);
  return [el.tagName.toLowerCase(), ...named].join(' ');
}

/**
 * Run `render()` (which rebuilds `container`) and keep the keyboard focus where it was: if the focused element was in
 * `container` and is gone, the equivalent one is focused, found by its id, else by its tag and identifying attributes
 * (signature: a map's flow by its countries, an alert's link by its alert and report); when there is none, `fallback`
 * (an element that takes focus, such as the view's heading). Returns what `render()` returns.
 */
export function keepFocus(container, render, { fallback, doc = document } = {}) {
  const active = doc.activeElement;
  if (!active || active === container || !container.contains(active)) return render();
  const id = active.getAttribute('id');
  const was = signature(active);
  const out = render();
  if (active.isConnected && container.contains(active)) return out;
  const same =
    (id ? doc.getElementById(id) : null) ??
    [...container.querySelectorAll('*')].find((el) => signature(el) === was) ??
    fallback;
  same?.focus({ preventScroll: true });
  return out;
}
