// Metamon bridge, Vue side (served at /@metamon/bridge/vue.js).
//   mount(Component, target, props) — a Vue component as a guest in a foreign host
//   host(mountGuest, name)          — a Vue component hosting a foreign guest
// See shared.js for the contract. Imports `vue`.

import {
  camelize,
  createApp,
  defineComponent,
  h,
  onBeforeUnmount,
  onMounted,
  shallowReactive,
  shallowRef,
  watch,
} from 'vue';
import { BRIDGE_ATTR, CONTAINER_STYLE, createHostController, guestMount, hostProps } from './shared.js';

/**
 * Mounts the Vue component `Component` into `target` as its own app. The props
 * live in a `shallowReactive` object read by the app's root render function, so
 * `update(props)` assigns into it (and deletes removed keys) and Vue re-renders
 * the component with the new props — no re-mount, state is kept. Vue renders
 * updates on its scheduler (next microtask). `unmount()` unmounts the app.
 * The guest is a separate app: no provide/inject or app plugins from the page's
 * other Vue apps.
 */
export const mount = guestMount('vue', (Component, target, initial) => {
  const state = shallowReactive({ ...initial });
  const app = createApp({
    name: 'MetamonBridgeRoot',
    render: () => h(Component, { ...state }),
  });
  app.mount(target);
  return {
    update(next, { changed, removed }) {
      for (const key of changed) state[key] = next[key];
      for (const key of removed) delete state[key];
    },
    unmount() {
      app.unmount();
    },
  };
});

// Attribute names as written in templates (`:initial-count="1"` → `initial-count`)
// become camelCase (`initialCount`), like declared Vue props; `data-*`/`aria-*` stay.
function camelCasedProps(attrs) {
  const raw = hostProps(attrs);
  const out = {};
  for (const key of Object.keys(raw)) {
    const name = key.includes('-') && !/^(data|aria)-/.test(key) ? camelize(key) : key;
    out[name] = raw[key];
  }
  return out;
}

/**
 * A Vue component (`inheritAttrs: false`, no declared props: every attribute,
 * including `onX` listeners, is a guest prop) rendering `<div data-metamon-bridge
 * style="display:contents">`. Slots are ignored.
 */
export function host(mountGuest, name) {
  return defineComponent({
    name: 'MetamonBridge',
    inheritAttrs: false,
    setup(_props, { attrs }) {
      const container = shallowRef(null);
      const ctrl = createHostController(mountGuest, name);
      onMounted(() => ctrl.mount(container.value, camelCasedProps(attrs)));
      // `attrs` reads are tracked (Vue ≥ 3.3): the getter re-runs when the parent
      // passes new attributes.
      watch(() => camelCasedProps(attrs), (next) => ctrl.update(next), { flush: 'post' });
      onBeforeUnmount(() => ctrl.unmount());
      return () => h('div', { ref: container, [BRIDGE_ATTR]: name, style: CONTAINER_STYLE });
    },
  });
}
