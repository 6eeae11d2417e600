//! The page: the app's HTML with the HMR client, the config, `import.meta.env` and the React
//! Refresh preamble put first in `<head>`, and inline module scripts served as proxy modules.

use super::{refused, text};
use crate::server::DevServer;
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::analysis::{dotenv, html};
use metamon_project::files::{Refusal, file_for_url};
use metamon_project::module_id::resolve_path;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::path::Path;

pub fn page(server: &DevServer, path: &str) -> Response {
    let file = match file_for_url(server.root(), path) {
        Ok(file) => file,
        Err(refusal) => return refused(refusal),
    };
    let Ok(page) = std::fs::read_to_string(&file) else {
        return refused(Refusal::NotFound);
    };
    let page = html::proxy_inline_scripts(&page, path);
    let options = inline_json(&server.pipeline.config().client_options());
    let env = inline_json(&client_env(server.root(), &server.pipeline.config()));
    let settings = format!(
        "<script>performance.setResourceTimingBufferSize?.(1e6); window.__METAMON_CONFIG__ = {options}; window.__METAMON_ENV__ = {env};</script>\n"
    );
    let (page, loader) = if server.bundled() {
        load_through_registry(&page, path)
    } else {
        (
            page,
            format!(
                "<script type=\"module\" src=\"{CLIENT}\"></script>\n<script type=\"module\">import {{ injectIntoGlobalHook }} from \"{REFRESH}\"; {REFRESH_PREAMBLE}</script>\n"
            ),
        )
    };
    let injected = format!("{settings}{loader}");
    let page = match page.find("<head>") {
        Some(at) => format!("{}{injected}{}", &page[..at + 6], &page[at + 6..]),
        None => format!("{injected}{page}"),
    };
    text(StatusCode::OK, "text/html; charset=utf-8", page)
}

const CLIENT: &str = "/@metamon/client";
const REFRESH: &str = "/@metamon/react-refresh";
/// React Refresh hooks into React before react-dom loads (Vite's preamble).
const REFRESH_PREAMBLE: &str = "injectIntoGlobalHook(window); window.$RefreshReg$ = () => {}; window.$RefreshSig$ = () => (type) => type;";

/// Bundled dev serving: the page's module scripts (and the client) load through the module
/// registry (`runtime/registry.js`) from one script, in the page's order, their pack fetched
/// in one request that starts with the page (a preload).
fn load_through_registry(page: &str, page_path: &str) -> (String, String) {
    let mut out = page.to_string();
    let mut entries = Vec::new();
    for tag in html::module_scripts(page).iter().rev() {
        let Some(src) = tag.attribute("src") else {
            continue;
        };
        if src.starts_with("http:") || src.starts_with("https:") || src.starts_with("//") {
            continue;
        }
        let end = out[tag.range.end..]
            .to_ascii_lowercase()
            .find("</script>")
            .map_or(tag.range.end, |at| tag.range.end + at + "</script>".len());
        out.replace_range(tag.range.start..end, "");
        // As the page's registry will name it: a path from the root.
        let path = if src.starts_with('/') {
            src.to_string()
        } else {
            resolve_path(page_path, src)
        };
        entries.insert(0, path);
    }
    let pack_query: Vec<String> = [CLIENT, REFRESH]
        .into_iter()
        .map(str::to_string)
        .chain(entries.iter().cloned())
        .map(|url| format!("m={}", utf8_percent_encode(&url, URI_COMPONENT)))
        .collect();
    let mut all = vec![CLIENT.to_string(), REFRESH.to_string()];
    all.extend(entries.iter().cloned());
    let all = inline_json(&serde_json::Value::from(all));
    let entries = inline_json(&serde_json::Value::from(entries));
    let loader = format!(
        "<link rel=\"preload\" as=\"fetch\" crossorigin href=\"/@metamon/pack?{}\">\n<script type=\"module\">import {{ registry }} from \"/@metamon/registry.js\"; registry.load({all}).catch(() => {{}}); await registry.importEntry(\"{CLIENT}\"); const {{ injectIntoGlobalHook }} = await registry.importEntry(\"{REFRESH}\"); {REFRESH_PREAMBLE} for (const src of {entries}) await registry.importEntry(src).catch(reportError); registry.markPageLoaded();</script>\n",
        pack_query.join("&")
    );
    (out, loader)
}

/// What `encodeURIComponent` escapes, so a preload matches the registry's own request.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// JSON safe inside a `<script>` element.
fn inline_json(value: &serde_json::Value) -> String {
    value.to_string().replace("</", "<\\/")
}

/// The `VITE_`/`METAMON_` variables of the development `.env` files, read with each page load
/// (an edited `.env` applies on reload), and `BASE_URL`.
fn client_env(root: &Path, config: &metamon_config::Config) -> serde_json::Value {
    let mut env = dotenv::exposed_variables_with(
        &root.join(&config.env_dir),
        "development",
        &config.env_prefix,
    );
    env.insert(
        "BASE_URL".into(),
        metamon_config::normalize_base(&config.base).into(),
    );
    serde_json::Value::Object(env)
}
