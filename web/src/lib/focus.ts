/**
 * Whether the focus is on nothing in particular (the page's body): the control that had it
 * went with what was drawn anew, so a component may take it back without taking it from
 * wherever the visitor has moved it since.
 */
export function focusLost(): boolean {
  return document.activeElement === null || document.activeElement === document.body;
}

/**
 * How to scroll something into view: smoothly, unless the visitor asked for less motion
 * (`prefers-reduced-motion`), which a smooth scroll ignored (the stylesheet's own transitions
 * follow it).
 */
export function scrollBehavior(): ScrollBehavior {
  const less = typeof window.matchMedia === "function" && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  return less ? "auto" : "smooth";
}
