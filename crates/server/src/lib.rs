//! `metamon dev`: serves an app as native ES modules with hot module replacement.
//!
//! Below it, `metamon_project` holds what `metamon build` shares: module ids, project files,
//! settings, the embedded runtime, the pure analysers and the loading of one module. The
//! server's own modules are layers, each importing only the ones above it in this list:
//!
//! | layer | modules |
//! |---|---|
//! | wire | `protocol` (the HMR messages), `channel` (to every page) |
//! | module graph | `graph` (nodes, the cached transform), `deps` (pre-bundling), `errors` |
//! | transform pipeline | `transform` (load → analyse → resolve/bridge → graph; render) |
//! | HMR | `hmr::plan` (pure: graph + change → update), `hmr::update` (recompile, then plan) |
//! | watcher | `watch` (debounced batches on a channel) |
//! | packs | `packs` (bundled dev serving: packs as JSON, a page's stable and recent packs) |
//! | server | `server` (the state put together: warm-up, batches, config reloads) |
//! | HTTP/WebSocket | `http` (page, runtime, deps, modules, files, socket handlers) |
//!
//! Request flow: `http` maps a URL to a module key → `transform` (compile, find and resolve
//! imports, cache in the `graph`) → `render` (imports written as URLs) → browser. Save flow:
//! `watch` (batch) → `hmr::update` (recompile) → `hmr::plan` (boundaries) → `protocol`
//! message on the `channel` → `runtime/client.js` re-imports and calls the accept handlers.

mod channel;
mod deps;
mod errors;
mod graph;
mod hmr;
mod http;
mod packs;
mod preview;
mod protocol;
mod server;
mod transform;
mod watch;

#[cfg(test)]
mod rewriter_properties;

pub use http::{host_allowed, origin_allowed};
pub use metamon_project::files::{file_for_url, source_files};
pub use metamon_project::settings::project_options;
pub use preview::{PreviewOptions, preview};

use metamon_config::Config;
use server::DevServer;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct DevOptions {
    pub root: PathBuf,
    /// Overrides the config file's port.
    pub port: Option<u16>,
    /// Overrides the config file's host.
    pub host: Option<String>,
    /// Overrides the config file's `bundle`.
    pub bundle: Option<bool>,
}

/// Starts the dev server and runs until the process ends.
pub async fn serve(options: DevOptions) -> Result<(), String> {
    server::disable_thread_caches();
    server::limit_malloc_arenas();
    let mut root = options.root.clone();
    let mut config_error = None;
    let config = match metamon_project::settings::load_config(&root, "serve") {
        Ok(loaded) => {
            if let Some(vite) = &loaded.vite {
                println!("  using {}", vite.file);
                for warning in &vite.warnings {
                    eprintln!("  warning: {warning}");
                }
                if let Some(vite_root) = &vite.root {
                    root = vite_root.clone();
                }
            }
            loaded.config
        }
        Err(diagnostic) => {
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let source = std::fs::read_to_string(root.join(&diagnostic.file)).unwrap_or_default();
            let rendered = diagnostic.render(&source, colour);
            if diagnostic.file == metamon_config::FILE_NAME {
                return Err(rendered);
            }
            // A Vite config that does not evaluate: its settings are left out, the app runs.
            eprintln!("{rendered}");
            config_error = Some(diagnostic);
            Config::load(&root).map_err(|d| d.render(&source, colour))?
        }
    };
    let host = options
        .host
        .or_else(|| config.host.clone())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let port = options.port.or(config.port).unwrap_or(5173);
    let strict_port = config.strict_port;
    let open = config.open;
    let server = DevServer::new(root, host.clone(), config, options.bundle)?;
    if let Some(diagnostic) = config_error {
        server.errors.record(vec![diagnostic]);
    }
    if !server.root().join("index.html").is_file() {
        eprintln!("  warning: {} has no index.html", server.root().display());
    }
    let started = std::time::Instant::now();
    server.warm_up().await;
    let (listener, port) = http::bind(&host, port, strict_port).await?;
    let pipeline = server.pipeline.clone();
    let (_watcher, mut batches) = watch::start(server.root(), move || pipeline.config())?;
    let on_batches = server.clone();
    tokio::spawn(async move {
        // Batches are handled one after the other.
        while let Some(batch) = batches.recv().await {
            on_batches.on_batch(batch).await;
        }
    });
    let base = metamon_config::normalize_base(&server.pipeline.config().base);
    println!("  ready in {} ms", started.elapsed().as_millis());
    println!("  Local: http://{host}:{port}{base}");
    if open {
        open_browser(&format!("http://{host}:{port}{base}"));
    }
    // The base is handled around the router, so the router matches the rewritten path.
    let app = axum::Router::new()
        .fallback_service(http::router(server))
        .layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(base),
            http::under_base,
        ));
    // Without TCP_NODELAY a response written in two segments waits for the browser's delayed
    // ACK; a page of a thousand modules pays that on many of them.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(|e| e.to_string())
}

/// Opens `url` in the system's browser (Vite's `server.open`); failing to is not an error.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
