// Metamon bridge, React side (served at /@metamon/bridge/react.js).
//   mount(Component, target, props) — a React component as a guest in a foreign host
//   host(mountGuest, name)          — a React component hosting a foreign guest
// See shared.js for the contract. Imports `react`, `react-dom`, `react-dom/client`.

import { createElement, useLayoutEffect, useRef } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { BRIDGE_ATTR, createHostController, guestMount, hostProps } from './shared.js';

// > 0 while a React host runs its layout effects (React is committing). A React
// guest reached from there — directly, or synchronously through other frameworks
// (React › Vue › React) — must neither flushSync nor unmount a root synchronously:
// React would warn and not do it.
let reactCommitDepth = 0;

function inReactCommit(fn) {
  reactCommitDepth++;
  try {
    return fn();
  } finally {
    reactCommitDepth--;
  }
}

/**
 * Renders the React component `Component` into `target` with its own root
 * (`createRoot`). Synchronous (`flushSync`) unless React is already committing,
 * then it renders asynchronously. `update(props)` re-renders the same root with
 * new props (component state is kept); `unmount()` unmounts the root (deferred by
 * a microtask when called while React is committing).
 */
export const mount = guestMount('react', (Component, target, initial) => {
  const root = createRoot(target);
  const render = (p) => {
    const element = createElement(Component, p);
    if (reactCommitDepth > 0) root.render(element);
    else flushSync(() => root.render(element));
  };
  render(initial);
  return {
    update: (next) => render(next),
    unmount() {
      if (reactCommitDepth > 0) queueMicrotask(() => root.unmount());
      else root.unmount();
    },
  };
});

const REACT_SKIPPED_PROPS = ['ref'];
const CONTAINER_STYLE_OBJECT = Object.freeze({ display: 'contents' });

/**
 * A React function component rendering `<div data-metamon-bridge={name}
 * style="display:contents">` and the guest inside it. All props except
 * `children` and `ref` are passed to the guest; children are ignored.
 */
export function host(mountGuest, name) {
  function MetamonBridge(props) {
    const container = useRef(null);
    const controller = useRef(null);
    // Mount once (again after a StrictMode effect re-run), unmount on unmount.
    useLayoutEffect(() => {
      const ctrl = createHostController(mountGuest, name);
      controller.current = ctrl;
      inReactCommit(() => ctrl.mount(container.current, hostProps(props, REACT_SKIPPED_PROPS)));
      return () => {
        controller.current = null;
        inReactCommit(() => ctrl.unmount());
      };
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, []);
    // Every render: forward the props (the controller skips shallow-equal ones).
    useLayoutEffect(() => {
      const ctrl = controller.current;
      if (ctrl) inReactCommit(() => ctrl.update(hostProps(props, REACT_SKIPPED_PROPS)));
    });
    return createElement('div', { ref: container, [BRIDGE_ATTR]: name, style: CONTAINER_STYLE_OBJECT });
  }
  MetamonBridge.displayName = `MetamonBridge(${name})`;
  return MetamonBridge;
}
