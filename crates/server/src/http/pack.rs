//! `/@metamon/pack`: bundled dev serving. A page asks for modules by URL (`GET ?m=` for its
//! first load, `POST {"modules", "have"}` later); the answer is every module of their static
//! closure the page does not have yet, in factory form (`metamon_project::module_factory`), for
//! its registry (`runtime/registry.js`), and the URLs that stay native ES modules (`externals`:
//! dependencies and the runtime). A first load and an `import()` are answered with the paths
//! of their stable and recent packs instead, content-hashed and immutable (`crate::packs`). A
//! module keeps its URL (`?t=` included), so the page's registry holds the same instances its
//! module map would, and HMR works as it does per module.

use super::{from_foreign_origin, text};
use crate::packs::{Pack, PackedModule};
use crate::server::DevServer;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use metamon_compile::content_hash;
use metamon_project::analysis::pages::ROUTES_KEY;
use metamon_project::files::file_for_url;
use metamon_project::module_factory::Factory;
use metamon_project::module_id::{key_from_url, resolve_path, selects_module, split_key};
use metamon_project::runtime_files;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Deserialize)]
struct PackRequest {
    modules: Vec<String>,
    #[serde(default)]
    have: Vec<String>,
    /// An `import()` the page may make again on its next load (not a hot update's new
    /// version): answered with a `PackList`, its packs cacheable.
    #[serde(default)]
    cache: bool,
}

/// The module URLs a query names, `?m=…&m=…`, decoded.
pub(super) fn module_urls(query: Option<&str>) -> Vec<String> {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("m="))
        .map(|url| {
            percent_encoding::percent_decode_str(url)
                .decode_utf8_lossy()
                .to_string()
        })
        .collect()
}

pub async fn get(State(server): State<Arc<DevServer>>, RawQuery(query): RawQuery) -> Response {
    let modules = module_urls(query.as_deref());
    if modules.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "no module asked for\n",
        );
    }
    let request = modules.join("\n");
    let first = pack(&server, modules, HashSet::new()).await;
    let list = pack_list(&server, &request, first);
    // The walk's served texts are garbage now (megabytes for a thousand modules).
    tokio::task::spawn_blocking(crate::server::release_freed_memory);
    list
}

/// The cacheable answer to `request`: the paths of its stable and recent packs.
fn pack_list(server: &DevServer, request: &str, pack: Pack) -> Response {
    let list = server.stable_packs.split(request, pack);
    let mut response = text(
        StatusCode::OK,
        "application/json",
        serde_json::to_string(&list).unwrap_or_default(),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /@metamon/pack/{hash}.json`: a pack a first load was told of, immutable under its name.
pub async fn get_by_hash(
    State(server): State<Arc<DevServer>>,
    Path(name): Path<String>,
) -> Response {
    let found = name
        .strip_suffix(".json")
        .and_then(|hash| u64::from_str_radix(hash, 16).ok())
        .and_then(|hash| server.stable_packs.get(hash));
    let Some(found) = found else {
        return text(
            StatusCode::NOT_FOUND,
            "text/plain",
            format!("no pack {name} in this server's run: load the page again\n"),
        );
    };
    let mut response = text(StatusCode::OK, "application/json", found.to_json());
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=31536000, immutable"),
    );
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
            let mut have: Vec<String> = request.have;
            if !request.cache {
                let pack = pack(&server, request.modules, have.into_iter().collect()).await;
                return text(StatusCode::OK, "application/json", pack.to_json());
            }
            // The request, as the page will make it again: what it asks for and what it has.
            have.sort_unstable();
            let key = format!(
                "{}\n{:x}",
                request.modules.join("\n"),
                content_hash(have.join("\n").as_bytes())
            );
            let pack = pack(&server, request.modules, have.into_iter().collect()).await;
            pack_list(&server, &key, pack)
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
struct Walked {
    url: String,
    /// The factory's imports as paths from the root (runtime files import `./hmr/…`).
    deps: Vec<String>,
    factory: Result<Arc<Factory>, String>,
    /// The hash of its served text (or of its error).
    text_hash: u64,
}

/// The closure of `requested` minus `have`.
async fn pack(server: &Arc<DevServer>, requested: Vec<String>, have: HashSet<String>) -> Pack {
    let mut seen: HashSet<String> = have;
    let mut externals = Vec::new();
    let mut walked: Vec<Walked> = Vec::new();
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
        // Runtime files and modules already transformed (what a reload asks for) are made
        // factories here; the others are transformed at once (on every core).
        let mut factories: Vec<(Result<Arc<Factory>, String>, u64)> =
            vec![(Err("the compile task stopped".into()), 0); level.len()];
        let mut tasks = tokio::task::JoinSet::new();
        // Served text already at hand: made factories on every core, a share each (a fresh
        // server has none of them cached yet: a thousand parses).
        let mut at_hand: Vec<(usize, String, Result<String, String>)> = Vec::new();
        for (n, (url, source)) in level.iter().enumerate() {
            let key = match source {
                Source::Runtime(name) => {
                    let served = super::runtime::served_text(server, name)
                        .ok_or_else(|| format!("no runtime file {name}"));
                    at_hand.push((n, url.clone(), served));
                    continue;
                }
                Source::Module(key) => key,
            };
            if let Some(served) = server.pipeline.fresh_served_text(key) {
                at_hand.push((n, url.clone(), Ok(served)));
                continue;
            }
            let (server, key, url) = (server.clone(), key.clone(), url.clone());
            tasks.spawn(async move {
                let served = served_text(&server, &key).await;
                vec![(n, factory_of(&server, &url, served))]
            });
        }
        let share = at_hand.len().div_ceil(cores()).max(1);
        while !at_hand.is_empty() {
            let chunk: Vec<_> = at_hand.drain(..share.min(at_hand.len())).collect();
            let server = server.clone();
            tasks.spawn_blocking(move || {
                chunk
                    .into_iter()
                    .map(|(n, url, served)| (n, factory_of(&server, &url, served)))
                    .collect()
            });
        }
        while let Some(result) = tasks.join_next().await {
            for (n, made) in result.unwrap_or_default() {
                factories[n] = made;
            }
        }
        for ((url, _), (factory, text_hash)) in level.into_iter().zip(factories) {
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
            walked.push(Walked {
                url,
                deps,
                factory,
                text_hash,
            });
        }
    }
    let is_async = async_flags(&walked);
    let modules = walked
        .into_iter()
        .zip(is_async)
        .map(|(module, is_async)| {
            let identity = content_hash(
                format!("{}\0{:x}\0{is_async}", module.url, module.text_hash).as_bytes(),
            );
            PackedModule {
                url: module.url,
                deps: module.deps,
                is_async: is_async && module.factory.is_ok(),
                factory: module.factory,
                identity,
            }
        })
        .collect();
    Pack::new(modules, externals)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What the pack serves under a URL; `None` for a URL that stays a native ES module
/// (dependencies, and the registry itself).
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
    if !is_module {
        return None;
    }
    // A fresh transform means the file is there (a change or removal makes it stale); else
    // the file system says.
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let exists = server.pipeline.fresh_transform(&key).is_some()
        || file_for_url(server.root(), &decoded).is_ok();
    exists.then_some(Source::Module(key))
}

/// The module's factory (or why there is none) and the hash of its served text (or error).
fn factory_of(
    server: &DevServer,
    url: &str,
    served: Result<String, String>,
) -> (Result<Arc<Factory>, String>, u64) {
    let text_hash = match &served {
        Ok(text) | Err(text) => content_hash(text.as_bytes()),
    };
    let factory = served.and_then(|served| {
        server
            .pipeline
            .factory(&served)
            .map_err(|message| format!("{url} does not parse as served: {message}"))
    });
    (factory, text_hash)
}

/// The module's served text, as its own URL would answer it, or its errors as a message.
async fn served_text(server: &DevServer, key: &str) -> Result<String, String> {
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

/// Which modules are `async`: those that await at the top level, and everything in the pack
/// that imports one.
fn async_flags(walked: &[Walked]) -> Vec<bool> {
    let index: HashMap<&str, usize> = walked
        .iter()
        .enumerate()
        .map(|(n, module)| (module.url.as_str(), n))
        .collect();
    let mut is_async: Vec<bool> = walked
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
        for (n, module) in walked.iter().enumerate() {
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
    is_async
}
