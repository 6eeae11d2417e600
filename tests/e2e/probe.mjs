// Manual probe (not a test): serve a fixture, print the page's text and console. 
// usage: node tests/e2e/probe.mjs FIXTURE [selector]
import { copyFixture, startServer, launchBrowser, openPage, cleanup } from './harness.mjs';
const [name, selector = 'body'] = process.argv.slice(2);
const dir = copyFixture(name);
const server = await startServer(dir);
const browser = await launchBrowser();
try {
  const { page, log } = await openPage(browser, server.url);
  await new Promise((r) => setTimeout(r, 3000));
  console.log('TEXT:', await page.textContent(selector));
  console.log('LOG:\n' + log.join('\n'));
  console.log('SERVER:\n' + server.output());
} finally {
  await browser.close();
  await server.close();
  cleanup(dir);
}
