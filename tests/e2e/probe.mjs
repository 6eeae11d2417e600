// Manual probe (not a test): serve a fixture, print the page's text and console.
// usage: node tests/e2e/probe.mjs FIXTURE [selector]
import { openFixture } from './harness.mjs';

const [name, selector = 'body'] = process.argv.slice(2);
const app = await openFixture(name, selector);
try {
  await new Promise((r) => setTimeout(r, 3000));
  console.log('TEXT:', await app.text(selector));
  console.log('LOG:\n' + app.log.join('\n'));
  console.log('SERVER:\n' + app.server.output());
} finally {
  await app.close();
}
