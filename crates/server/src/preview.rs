//! `metamon preview`: the built app (`dist/`) served as a static host would — correct MIME
//! types, long cache headers on hashed assets, the page for router paths — with the dev
//! server's guards (the folder only, local `Host` only).

use crate::http::{content_type, host_allowed};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use metamon_project::files::{Refusal, file_for_url};
use std::path::PathBuf;
use std::sync::Arc;

pub struct PreviewOptions {
    /// The built app's folder.
    pub dir: PathBuf,
    pub port: u16,
    pub host: String,
    /// The public path the app was built for (`/`, `/sub/`): served under it.
    pub base: String,
}

struct Site {
    dir: PathBuf,
    host: String,
    base: String,
}

pub async fn preview(options: PreviewOptions) -> Result<(), String> {
    let dir = options.dir.canonicalize().map_err(|e| {
        format!(
            "no build in {}: {e} (run `metamon build` first)",
            options.dir.display()
        )
    })?;
    if !dir.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html (run `metamon build` first)",
            dir.display()
        ));
    }
    let (listener, port) = crate::http::bind(&options.host, options.port, false).await?;
    let base = metamon_config::normalize_base(&options.base);
    println!("  Local: http://{}:{port}{base}", options.host);
    let site = Arc::new(Site {
        dir,
        host: options.host,
        base,
    });
    let app = Router::new().fallback(serve).with_state(site);
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

async fn serve(State(site): State<Arc<Site>>, request: Request) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if !host_allowed(host, &site.host) {
        return respond(
            StatusCode::FORBIDDEN,
            "text/plain",
            "no-cache",
            "403 Forbidden: unknown Host\n",
        );
    }
    let Some(path) = request
        .uri()
        .path()
        .strip_prefix(site.base.trim_end_matches('/'))
        .filter(|path| path.is_empty() || path.starts_with('/'))
    else {
        return respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "no-cache",
            "404 Not Found\n",
        );
    };
    let file = match file_for_url(&site.dir, path) {
        Ok(file) if file.is_file() => file,
        Ok(dir) if dir.join("index.html").is_file() => dir.join("index.html"),
        Err(Refusal::Forbidden) => {
            return respond(
                StatusCode::FORBIDDEN,
                "text/plain",
                "no-cache",
                "403 Forbidden\n",
            );
        }
        // A router path (no file extension): the app's page, as static hosts' SPA fallback.
        _ if !path.rsplit('/').next().unwrap_or("").contains('.') => site.dir.join("index.html"),
        _ => {
            return respond(
                StatusCode::NOT_FOUND,
                "text/plain",
                "no-cache",
                "404 Not Found\n",
            );
        }
    };
    let Ok(bytes) = std::fs::read(&file) else {
        return respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "no-cache",
            "404 Not Found\n",
        );
    };
    // Names under assets/ carry their content hash: they never change.
    let cache = if file.starts_with(site.dir.join("assets")) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    respond(StatusCode::OK, content_type(&file), cache, bytes)
}

fn respond(status: StatusCode, content_type: &str, cache: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, cache)
        .body(body.into())
        .unwrap_or_default()
}
