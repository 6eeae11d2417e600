//! The page: the app's HTML with the HMR client, the config, `import.meta.env` and the React
//! Refresh preamble put first in `<head>`, and inline module scripts served as proxy modules.

use super::{refused, text};
use crate::server::DevServer;
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::analysis::{dotenv, html};
use metamon_project::files::{Refusal, file_for_url};
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
    let injected = format!(
        "<script>performance.setResourceTimingBufferSize?.(1e6); window.__METAMON_CONFIG__ = {options}; window.__METAMON_ENV__ = {env};</script>\n<script type=\"module\" src=\"/@metamon/client\"></script>\n<script type=\"module\">import {{ injectIntoGlobalHook }} from \"/@metamon/react-refresh\"; injectIntoGlobalHook(window); window.$RefreshReg$ = () => {{}}; window.$RefreshSig$ = () => (type) => type;</script>\n"
    );
    let page = match page.find("<head>") {
        Some(at) => format!("{}{injected}{}", &page[..at + 6], &page[at + 6..]),
        None => format!("{injected}{page}"),
    };
    text(StatusCode::OK, "text/html; charset=utf-8", page)
}

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
