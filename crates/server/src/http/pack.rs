//! `/@metamon/pack`: bundled dev serving. A page asks for modules by URL (`GET ?m=` for its
//! first pack, `POST {"modules", "have"}` later); the answer is every module of their static
//! closure the page does not have yet, in factory form (`metamon_project::module_factory`), for
//! its registry (`runtime/registry.js`), and the URLs that stay native ES modules (`externals`:
//! dependencies and the runtime). A module keeps its URL (`?t=` included), so the page's
//! registry holds the same instances its module map would, and HMR works as it does per module.

use super::{from_foreign_origin, text};
use crate::server::DevServer;
use crate::transform::content_hash;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use metamon_project::analysis::pages::ROUTES_KEY;
use metamon_project::files::file_for_url;
use metamon_project::module_factory::Factory;
use metamon_project::module_id::{key_from_url, resolve_path, selects_module, split_key};
use metamon_project::runtime_files;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Deserialize)]
struct PackRequest {
    modules: Vec<String>,
    #[serde(default)]
    have: Vec<String>,
}

pub async fn get(
    State(server): State<Arc<DevServer>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let modules: Vec<String> = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("m="))
        .map(|url| {
            percent_encoding::percent_decode_str(url)
                .decode_utf8_lossy()
                .to_string()
        })
        .collect();
    if modules.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "no module asked for\n",
        );
    }
    // A page's first pack is revalidated on each load: unchanged, it is not sent again.
    let body = pack(&server, modules, HashSet::new()).await;
    let etag = format!("\"{:x}\"", content_hash(&body));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag)
        });
    let mut response = if unchanged {
        text(StatusCode::NOT_MODIFIED, "application/json", "")
    } else {
        text(StatusCode::OK, "application/json", body)
    };
    if let Ok(value) = etag.parse() {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

pub async fn post(
    State(server): State<Arc<DevServer>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if from_foreign_origin(&headers, &server.host) {
        return text(StatusCode::FORBIDDEN, "text/plain", "403 Forbidden\n");
    }
    match serde_json::from_str::<PackRequest>(&body) {
        Ok(request) if !request.modules.is_empty() => {
            let have = request.have.into_iter().collect();
            let body = pack(&server, request.modules, have).await;
            text(StatusCode::OK, "application/json", body)
        }
        Ok(_) => text(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "no module asked for\n",
        ),
        Err(error) => text(
            StatusCode::BAD_REQUEST,
            "text/plain",
            format!("expected {{\"modules\": [url], \"have\": [url]}}: {error}\n"),
        ),
    }
}

/// One module of a pack, before its `async` flag is known.
struct Packed {
    url: String,
    /// The factory's imports as paths from the root (runtime files import `./hmr/…`).
    deps: Vec<String>,
    factory: Result<Arc<Factory>, String>,
}

/// The closure of `requested` minus `have`, as the JSON the registry reads.
async fn pack(server: &Arc<DevServer>, requested: Vec<String>, have: HashSet<String>) -> String {
    let mut seen: HashSet<String> = have;
    let mut externals = Vec::new();
    let mut packed: Vec<Packed> = Vec::new();
    let mut frontier = requested;
    while !frontier.is_empty() {
        let mut level = Vec::new();
        for url in frontier.drain(..) {
            if !seen.insert(url.clone()) {
                continue;
            }
            match source_of(server, &url) {
                Some(source) => level.push((url, source)),
                None => externals.push(url),
            }
        }
        // A level's modules are transformed and made factories at once (on every core).
        let mut tasks = tokio::task::JoinSet::new();
        for (n, (url, source)) in level.iter().enumerate() {
            let (server, source, url) = (server.clone(), source.clone(), url.clone());
            tasks.spawn(async move {
                let factory = served_text(&server, &source).await.and_then(|served| {
                    server
                        .pipeline
                        .factory(&served)
                        .map_err(|message| format!("{url} does not parse as served: {message}"))
                });
                (n, factory)
            });
        }
        let mut factories: Vec<Result<Arc<Factory>, String>> =
            vec![Err("the compile task stopped".into()); level.len()];
        while let Some(result) = tasks.join_next().await {
            if let Ok((n, factory)) = result {
                factories[n] = factory;
            }
        }
        for ((url, _), factory) in level.into_iter().zip(factories) {
            let deps: Vec<String> = factory
                .as_ref()
                .map(|factory| {
                    factory
                        .deps
                        .iter()
                        .map(|dep| {
                            // Runtime files import each other relatively (`./hmr/…`).
                            if dep.starts_with("./") || dep.starts_with("../") {
                                resolve_path(split_key(&url).0, dep)
                            } else {
                                dep.clone()
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            frontier.extend(deps.iter().filter(|dep| !seen.contains(*dep)).cloned());
            packed.push(Packed { url, deps, factory });
        }
    }
    to_json(&packed, &externals)
}

/// What the pack serves under a URL; `None` for a URL that stays a native ES module
/// (dependencies, and the registry itself).
#[derive(Clone)]
enum Source {
    Module(String),
    Runtime(String),
}

fn source_of(server: &DevServer, url: &str) -> Option<Source> {
    let key = key_from_url(url);
    if key == ROUTES_KEY {
        return Some(Source::Module(key));
    }
    let (path, query) = split_key(&key);
    if let Some(name) = path.strip_prefix(runtime_files::PREFIX) {
        // The registry loads packs: it is the one runtime file that stays native.
        let is_runtime = name != "registry.js"
            && (name.starts_with(runtime_files::BROWSER_EXTERNAL)
                || runtime_files::source(name).is_some());
        return is_runtime.then(|| Source::Runtime(name.to_string()));
    }
    if !path.starts_with('/') || path.starts_with("/@") {
        return None;
    }
    let kind = metamon_compile::module_kind(path, &server.pipeline.options());
    let is_module = query.is_some_and(selects_module)
        || kind.is_some_and(metamon_compile::ModuleKind::is_script);
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    (is_module && file_for_url(server.root(), &decoded).is_ok()).then_some(Source::Module(key))
}

/// The module's served text, as its own URL would answer it, or its errors as a message.
async fn served_text(server: &DevServer, source: &Source) -> Result<String, String> {
    match source {
        Source::Runtime(name) => super::runtime::served_text(server, name)
            .ok_or_else(|| format!("no runtime file {name}")),
        Source::Module(key) => {
            super::modules::served_text(server, key)
                .await
                .map_err(|diagnostics| {
                    diagnostics
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
        }
    }
}

/// `{"modules": [{url, deps, async, code} | {url, deps: [], async: false, error}], "externals"}`.
/// A module is `async` when it or anything it imports in this pack awaits at the top level.
fn to_json(packed: &[Packed], externals: &[String]) -> String {
    let index: HashMap<&str, usize> = packed
        .iter()
        .enumerate()
        .map(|(n, module)| (module.url.as_str(), n))
        .collect();
    let mut is_async: Vec<bool> = packed
        .iter()
        .map(|module| {
            module
                .factory
                .as_ref()
                .is_ok_and(|factory| factory.has_top_level_await)
        })
        .collect();
    // Spread to importers until nothing changes (the graph may have cycles).
    let mut changed = is_async.contains(&true);
    while changed {
        changed = false;
        for (n, module) in packed.iter().enumerate() {
            if !is_async[n]
                && module
                    .deps
                    .iter()
                    .any(|dep| index.get(dep.as_str()).is_some_and(|&d| is_async[d]))
            {
                is_async[n] = true;
                changed = true;
            }
        }
    }
    let modules: Vec<PackedJson> = packed
        .iter()
        .zip(is_async)
        .map(|(module, is_async)| match &module.factory {
            Ok(factory) => PackedJson {
                url: &module.url,
                deps: &module.deps,
                is_async,
                code: Some(factory.code(is_async)),
                error: None,
            },
            Err(message) => PackedJson {
                url: &module.url,
                deps: &[],
                is_async: false,
                code: None,
                error: Some(message),
            },
        })
        .collect();
    serde_json::to_string(&PackJson { modules, externals }).unwrap_or_default()
}

/// The pack as JSON, written from borrowed data (a pack of 10 000 modules is tens of MB).
#[derive(Serialize)]
struct PackJson<'a> {
    modules: Vec<PackedJson<'a>>,
    externals: &'a [String],
}

#[derive(Serialize)]
struct PackedJson<'a> {
    url: &'a str,
    deps: &'a [String],
    #[serde(rename = "async")]
    is_async: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}
