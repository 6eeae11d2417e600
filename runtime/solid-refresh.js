// solid-refresh's runtime, served at `/@metamon/solid-refresh.js` for the Solid modules the
// compiler emits (their `solid-refresh` import is pointed here). Every component is guarded:
// solid-refresh re-renders a hot-updated component inside a memo, and a render that throws
// leaves that memo errored, so no later save could reach the component again. Instead the
// error is reported (the HMR client shows it and rolls the module back) and the last version
// of the component that rendered is rendered again; the next good save replaces it as usual.

import { $$component as solidRefreshComponent } from 'solid-refresh';

export { $$context, $$decline, $$refresh, $$registry } from 'solid-refresh';

// The last version of each component (file and id) that rendered without throwing.
const lastRendered = new Map();

function report(error) {
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
}

export function $$component(registry, id, component, options = {}) {
  const key = `${String(options.location || '').replace(/:\d+:\d+$/, '')}#${id}`;
  function guarded(props) {
    try {
      const output = component(props);
      lastRendered.set(key, component);
      return output;
    } catch (error) {
      const previous = lastRendered.get(key);
      if (!previous || previous === component) throw error;
      report(error);
      return previous(props);
    }
  }
  return solidRefreshComponent(registry, id, guarded, options);
}
