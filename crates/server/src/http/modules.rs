//! Everything else under the root: the page for navigations, project modules compiled on
//! request, files as they are (and `public/` at the root).

use super::{JS, compile_error, files, html, refused, text};
use crate::server::DevServer;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use metamon_compile::{Diagnostic, ModuleKind};
use metamon_project::analysis::html::proxy_index;
use metamon_project::files::{Refusal, file_for_url};
use metamon_project::module_id::{key_from_request, selects_module, split_key};
use std::sync::Arc;

pub async fn handle(State(server): State<Arc<DevServer>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let html_proxy = query.as_deref().is_some_and(|q| proxy_index(q).is_some());
    if path == "/"
        || (path.ends_with(".html") && !html_proxy)
        || (wants_html(request.headers()) && !path.rsplit('/').next().unwrap_or("").contains('.'))
    {
        let page = if path.ends_with(".html") {
            path.as_str()
        } else {
            "/index.html"
        };
        return html::page(&server, page);
    }
    let file = match file_for_url(server.root(), &path) {
        Ok(file) => file,
        Err(Refusal::NotFound) => {
            let public_dir = server.pipeline.config().public_dir.clone();
            return match file_for_url(&server.root().join(public_dir), &path) {
                Ok(file) if file.is_file() => files::static_file(&file),
                _ => refused(Refusal::NotFound),
            };
        }
        Err(refusal) => return refused(refusal),
    };
    // The graph knows modules by decoded path (`[id].mtm`, not `%5Bid%5D.mtm`).
    let decoded = percent_encoding::percent_decode_str(&path)
        .decode_utf8_lossy()
        .to_string();
    let key = key_from_request(&decoded, query.as_deref());
    let kind = metamon_compile::module_kind(&path, &server.pipeline.options());
    let is_module =
        split_key(&key).1.is_some_and(selects_module) || kind.is_some_and(ModuleKind::is_script);
    if !is_module || file.is_dir() {
        return files::static_file(&file);
    }
    module(&server, &key, true).await
}

/// A module's response. On a compile error the page keeps the last good version when there
/// is one (`keep_last_good`), and the error goes to the overlay.
pub async fn module(server: &DevServer, key: &str, keep_last_good: bool) -> Response {
    let served = if keep_last_good {
        served_text(server, key).await
    } else {
        (server.pipeline.transform(key).await)
            .map(|transformed| server.pipeline.render(key, &transformed))
    };
    match served {
        Ok(served) => text(StatusCode::OK, JS, served),
        Err(diagnostics) => compile_error(&diagnostics),
    }
}

/// A module's served text. On a compile error the error goes to the overlay and the last good
/// version is served when there is one; without one, the error.
pub async fn served_text(server: &DevServer, key: &str) -> Result<String, Vec<Diagnostic>> {
    let diagnostics = match server.pipeline.transform(key).await {
        Ok(transformed) => return Ok(server.pipeline.render(key, &transformed)),
        Err(diagnostics) => diagnostics,
    };
    let last_good = server.pipeline.graph().last_good(key);
    let last_good = match last_good {
        Some(transformed) => Some(transformed),
        None => server.pipeline.transform_first_seen(key).await,
    };
    server.errors.record(diagnostics.clone());
    match last_good {
        Some(transformed) => Ok(server.pipeline.render(key, &transformed)),
        None => Err(diagnostics),
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
