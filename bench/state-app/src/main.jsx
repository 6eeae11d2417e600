// A React entry that also mounts a Vue and a Svelte component with their own APIs. Each file is
// one of the edits the benchmark makes (see bench/state.mjs).
import { createRoot } from 'react-dom/client';
import { createApp } from 'vue';
import { mount } from 'svelte';
import Panel, { HEADLINE } from './Panel.jsx';
import { ThemeProvider } from './theme.jsx';
import Child from './Child.jsx';
import StoreView from './StoreView.jsx';
import Tabs from './Tabs.jsx';
import Form from './Form.vue';
import Steps from './Steps.svelte';

document.title = HEADLINE;
createRoot(document.getElementById('react')).render(
  <>
    <Panel />
    <ThemeProvider>
      <Child />
    </ThemeProvider>
    <StoreView />
    <Tabs />
  </>,
);
createApp(Form).mount('#vue');
mount(Steps, { target: document.getElementById('svelte') });
