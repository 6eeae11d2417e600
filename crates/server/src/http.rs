//! HTTP and WebSocket routes: `index.html` with the client injected, project modules, the
//! runtime, pre-bundled dependencies, static files — under the root only, to local hosts only.

use crate::security::{Refusal, file_for_url, host_allowed, origin_allowed};
use crate::transform::{ImportTarget, Transformed, key_from_request, render};
use crate::{DevServer, RUNTIME_FILES, deps, imports};
use axum::Router;
use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metamon_compile::ModuleKind;
use std::sync::Arc;

pub fn router(server: Arc<DevServer>) -> Router {
    Router::new()
        .route("/@metamon/ws", get(websocket))
        .fallback(get(handle))
        .with_state(server)
}

fn text(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body.into())
        .unwrap_or_default()
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Forbidden => text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "403 Forbidden: outside the project root or a hidden file\n",
        ),
        Refusal::NotFound => text(StatusCode::NOT_FOUND, "text/plain", "404 Not Found\n"),
    }
}

const JS: &str = "text/javascript; charset=utf-8";

async fn handle(State(server): State<Arc<DevServer>>, request: Request) -> Response {
    let headers = request.headers();
    if !host_allowed(
        headers.get(header::HOST).and_then(|h| h.to_str().ok()),
        &server.host,
    ) {
        return text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "403 Forbidden: unknown Host\n",
        );
    }
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    if path == crate::routes::ROUTES_KEY {
        return match server.transform(&path).await {
            Ok(transformed) => module_response(&server, &path, &transformed),
            Err(diagnostics) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                diagnostics
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        };
    }
    if let Some(name) = path.strip_prefix("/@metamon/") {
        return runtime_file(&server, name);
    }
    if let Some(file) = path.strip_prefix("/@deps/") {
        return dependency(&server, file);
    }
    let html_proxy = query
        .as_deref()
        .is_some_and(|q| crate::html::proxy_index(q).is_some());
    if path == "/"
        || (path.ends_with(".html") && !html_proxy)
        || (wants_html(headers) && !path.rsplit('/').next().unwrap_or("").contains('.'))
    {
        return html(
            &server,
            if path.ends_with(".html") {
                &path
            } else {
                "/index.html"
            },
        );
    }
    let file = match file_for_url(&server.root, &path) {
        Ok(file) => file,
        Err(Refusal::NotFound) => {
            return match file_for_url(&server.root.join(crate::PUBLIC_DIR), &path) {
                Ok(file) if file.is_file() => static_file(&file),
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
    let kind = metamon_compile::module_kind(&path, &server.options());
    let is_module = key.contains('?') || kind.is_some_and(ModuleKind::is_script);
    if !is_module || file.is_dir() {
        return static_file(&file);
    }
    match server.transform(&key).await {
        Ok(transformed) => module_response(&server, &key, &transformed),
        Err(diagnostics) => {
            let message = diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n");
            server.record_errors(diagnostics);
            // The page keeps the last good version of the module when there is one.
            let last_good = server
                .graph
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .modules
                .get(&key)
                .and_then(|node| node.transformed.clone());
            match last_good {
                Some(transformed) => module_response(&server, &key, &transformed),
                None => text(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", message),
            }
        }
    }
}

fn module_response(server: &DevServer, key: &str, transformed: &Transformed) -> Response {
    let code = {
        let graph = server.graph.lock().unwrap_or_else(|e| e.into_inner());
        let deps = server.deps.read().unwrap_or_else(|e| e.into_inner());
        render(key, transformed, &graph, &deps)
    };
    text(StatusCode::OK, JS, code)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The page, with the HMR client and the React Refresh preamble put first in `<head>`.
fn html(server: &DevServer, path: &str) -> Response {
    let file = match file_for_url(&server.root, path) {
        Ok(file) => file,
        Err(refusal) => return refused(refusal),
    };
    let Ok(page) = std::fs::read_to_string(&file) else {
        return refused(Refusal::NotFound);
    };
    let page = crate::html::proxy_inline_scripts(&page, path);
    let options = server
        .config()
        .client_options()
        .to_string()
        .replace("</", "<\\/");
    let env = client_env(&server.root).to_string().replace("</", "<\\/");
    let injected = format!(
        "<script>window.__METAMON_CONFIG__ = {options}; window.__METAMON_ENV__ = {env};</script>\n<script type=\"module\" src=\"/@metamon/client\"></script>\n<script type=\"module\">import {{ injectIntoGlobalHook }} from \"/@metamon/react-refresh\"; injectIntoGlobalHook(window); window.$RefreshReg$ = () => {{}}; window.$RefreshSig$ = () => (type) => type;</script>\n"
    );
    let page = match page.find("<head>") {
        Some(at) => format!("{}{injected}{}", &page[..at + 6], &page[at + 6..]),
        None => format!("{injected}{page}"),
    };
    text(StatusCode::OK, "text/html; charset=utf-8", page)
}

/// What `import.meta.env` exposes besides `DEV`, `MODE`…: as in Vite, the `VITE_` (and
/// `METAMON_`) variables of `.env`, `.env.local`, `.env.development`, `.env.development.local`
/// (later files win) and of the server's own environment (which wins over the files). Read
/// with each page load, so an edited `.env` applies on reload.
fn client_env(root: &std::path::Path) -> serde_json::Value {
    let exposed = |key: &str| key.starts_with("VITE_") || key.starts_with("METAMON_");
    let mut env = serde_json::Map::new();
    for name in [
        ".env",
        ".env.local",
        ".env.development",
        ".env.development.local",
    ] {
        let Ok(text) = std::fs::read_to_string(root.join(name)) else {
            continue;
        };
        for (key, value) in crate::dotenv::parse(&text) {
            if exposed(&key) {
                env.insert(key, value.into());
            }
        }
    }
    for (key, value) in std::env::vars() {
        if exposed(&key) {
            env.insert(key, value.into());
        }
    }
    serde_json::Value::Object(env)
}

/// Runtime files, served from the binary. Their bare imports (`react`…) point at the
/// pre-bundled dependencies like the app's own.
fn runtime_file(server: &DevServer, name: &str) -> Response {
    let name = match name {
        "client" => "client.js",
        "react-refresh" => "react-refresh.js",
        other => other,
    };
    let Some((_, source)) = RUNTIME_FILES.iter().find(|(file, _)| *file == name) else {
        return refused(Refusal::NotFound);
    };
    let Ok(scanned) = imports::scan(source) else {
        return text(StatusCode::OK, JS, *source);
    };
    let imports = scanned
        .imports
        .into_iter()
        .filter_map(|import| {
            let bare = !import.specifier.starts_with('.') && !import.specifier.starts_with('/');
            let target = match import.specifier.as_str() {
                "metamon" => ImportTarget::Url("/@metamon/core.js".into()),
                specifier if bare => ImportTarget::Dep(specifier.to_string()),
                _ => return None,
            };
            Some(crate::transform::ResolvedImport {
                literal: import.literal,
                statement: import.statement,
                target,
            })
        })
        .collect();
    let transformed = Transformed {
        code: source.to_string(),
        imports,
        ..Transformed::default()
    };
    let code = {
        let graph = server.graph.lock().unwrap_or_else(|e| e.into_inner());
        let deps = server.deps.read().unwrap_or_else(|e| e.into_inner());
        render("", &transformed, &graph, &deps)
    };
    text(StatusCode::OK, JS, code)
}

/// The bare imports of the runtime files a module pulls in, so they are pre-bundled too.
pub fn runtime_dependencies(url: &str) -> Vec<String> {
    let Some(name) = url.strip_prefix("/@metamon/") else {
        return Vec::new();
    };
    let Some((_, source)) = RUNTIME_FILES.iter().find(|(file, _)| *file == name) else {
        return Vec::new();
    };
    imports::scan(source)
        .map(|scan| {
            scan.imports
                .into_iter()
                .map(|i| i.specifier)
                .filter(|s| !s.starts_with('.') && !s.starts_with('/') && s != "metamon")
                .collect()
        })
        .unwrap_or_default()
}

fn dependency(server: &DevServer, file: &str) -> Response {
    if file.contains("..") || file.contains('/') || file.contains('\\') || file.starts_with('.') {
        return refused(Refusal::Forbidden);
    }
    match std::fs::read(deps::cache_dir(&server.root).join("deps").join(file)) {
        Ok(bytes) => text(StatusCode::OK, JS, bytes),
        Err(_) => refused(Refusal::NotFound),
    }
}

fn static_file(file: &std::path::Path) -> Response {
    let Ok(bytes) = std::fs::read(file) else {
        return refused(Refusal::NotFound);
    };
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let content_type = match extension {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => JS,
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    text(StatusCode::OK, content_type, bytes)
}

async fn websocket(
    State(server): State<Arc<DevServer>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    if !host_allowed(host, &server.host) || !origin_allowed(origin, &server.host) {
        return text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "403 Forbidden: WebSocket from another origin\n",
        );
    }
    upgrade
        .on_upgrade(move |socket| hmr_socket(server, socket))
        .into_response()
}

/// A page reports: an update it could not apply in place (`invalidate`), or an error while
/// applying one (shown in the terminal too, with its location).
fn client_message(server: &DevServer, message: &serde_json::Value) {
    if message["type"] == "invalidate"
        && let Some(path) = message["path"].as_str()
    {
        server.invalidate(path);
    } else if message["type"] == "custom" && message["event"] == "metamon:client-error" {
        let error = &message["data"];
        let location = match (error["file"].as_str(), error["line"].as_u64()) {
            (Some(file), Some(line)) => {
                format!("{file}:{line}:{}", error["column"].as_u64().unwrap_or(1))
            }
            (Some(file), None) => file.to_string(),
            _ => error["path"]
                .as_str()
                .unwrap_or("?")
                .trim_start_matches('/')
                .to_string(),
        };
        let kind = error["kind"].as_str().unwrap_or("runtime");
        eprintln!(
            "  page error [{kind}] {location}: {}",
            error["message"].as_str().unwrap_or("")
        );
        if let Some(frame) = error["frame"].as_str() {
            eprintln!("{frame}");
        }
    }
}

async fn hmr_socket(server: Arc<DevServer>, mut socket: WebSocket) {
    let mut messages = server.hmr.subscribe();
    if socket
        .send(Message::Text(r#"{"type":"connected"}"#.into()))
        .await
        .is_err()
    {
        return;
    }
    let errors = server.errors_message();
    if errors["errors"].as_array().is_some_and(|e| !e.is_empty())
        && socket
            .send(Message::Text(errors.to_string().into()))
            .await
            .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            outgoing = messages.recv() => match outgoing {
                Ok(message) => if socket.send(Message::Text(message.into())).await.is_err() { return },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(message) = serde_json::from_str::<serde_json::Value>(&text) {
                        client_message(&server, &message);
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
