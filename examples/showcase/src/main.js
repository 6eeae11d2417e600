// Entry point: the theme bootstrapping, then the router (pages/ and layouts/ → routes).
// This module accepts no hot update: editing it reloads the page (signals are restored).
import { signal } from 'metamon';
import { startRouter } from 'metamon/router';

// The Solid theme toggle writes the global `theme` signal; every component's colours come
// from CSS custom properties that follow `data-theme` on <html> (src/theme.css).
const theme = signal('theme', 'light');
const applyTheme = (value) => {
  document.documentElement.dataset.theme = value === 'dark' ? 'dark' : 'light';
};
applyTheme(theme.get());
theme.subscribe(applyTheme);

startRouter();
