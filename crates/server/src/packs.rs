//! Packs of bundled dev serving (`http/pack.rs` fills them): modules in factory form, written as
//! the JSON the page's registry reads, and the packs of a page's load or of its lazy imports
//! split so that the browser keeps what did not change.
//!
//! The first answer to a request (a page's first modules, or an `import()` with what the page
//! has) in this server's run fixes its **stable** pack: every module it sent. Later answers to
//! the same request are two content-hashed, immutable packs: the stable one, unchanged byte for
//! byte (so the browser's cache serves it), and a **recent** one, with every module whose code
//! is not the one in the stable pack. The answer lists the stable pack's URLs that are out of
//! date (`stale`): the registry defines none of them from it, and the recent pack's first. A reload after edits downloads
//! only what was edited (and the importers whose imports now carry `?t=`).

use crate::protocol::ModuleRecord;
use axum::body::Bytes;
use metamon_project::module_factory::Factory;
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// One module of a pack.
#[derive(Clone)]
pub struct PackedModule {
    pub url: String,
    /// The factory's imports as paths from the root (runtime files import `./hmr/…`).
    pub deps: Vec<String>,
    /// The factory is an `async function`: it or something it imports awaits at the top level.
    pub is_async: bool,
    /// The factory, or why the module could not be served.
    pub factory: Result<Arc<Factory>, String>,
    /// Tells this module's versions apart: a hash of its URL, served text and `async` flag.
    pub identity: u64,
}

impl PackedModule {
    /// The module as the registry reads it.
    pub fn record(&self) -> ModuleRecord {
        match &self.factory {
            Ok(factory) => factory_record(&self.url, self.deps.clone(), factory, self.is_async),
            Err(message) => ModuleRecord {
                url: self.url.clone(),
                deps: vec![],
                is_async: false,
                code: None,
                error: Some(message.clone()),
            },
        }
    }
}

/// A module served as `factory` under `url`, as the registry reads it; its source map is
/// linked ([`map_path`]), not inlined.
pub fn factory_record(
    url: &str,
    deps: Vec<String>,
    factory: &Factory,
    is_async: bool,
) -> ModuleRecord {
    ModuleRecord {
        url: url.to_string(),
        deps,
        is_async,
        code: Some(factory.code(is_async, &map_path(url))),
        error: None,
    }
}

/// Where the source map of the module served under `url` is (`GET /@metamon/map?m=`).
pub fn map_path(url: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(url, percent_encoding::NON_ALPHANUMERIC);
    format!("/@metamon/map?m={encoded}")
}

/// Modules and the URLs that stay native ES modules (`externals`).
pub struct Pack {
    pub modules: Vec<PackedModule>,
    pub externals: Vec<String>,
    /// [`Pack::to_json`], written once: a kept pack is served again to every page and reload.
    json: OnceLock<Bytes>,
}

impl Pack {
    pub fn new(modules: Vec<PackedModule>, externals: Vec<String>) -> Self {
        Self {
            modules,
            externals,
            json: OnceLock::new(),
        }
    }

    /// `{"modules": [{url, deps, async, code} | {url, deps: [], async: false, error}],
    /// "externals"}`, the registry's format.
    pub fn to_json(&self) -> Bytes {
        self.json
            .get_or_init(|| {
                let modules: Vec<ModuleRecord> =
                    self.modules.iter().map(PackedModule::record).collect();
                let json = serde_json::to_string(&PackJson {
                    modules,
                    externals: &self.externals,
                });
                Bytes::from(json.unwrap_or_default())
            })
            .clone()
    }

    /// Names the pack's content, for an immutable URL: its modules' identities and externals.
    fn hash(&self) -> u64 {
        let mut bytes = Vec::with_capacity(self.modules.len() * 8 + 64);
        for module in &self.modules {
            bytes.extend_from_slice(&module.identity.to_le_bytes());
        }
        for external in &self.externals {
            bytes.extend_from_slice(external.as_bytes());
            bytes.push(0);
        }
        metamon_compile::content_hash(&bytes)
    }
}

#[derive(Serialize)]
struct PackJson<'a> {
    modules: Vec<ModuleRecord>,
    externals: &'a [String],
}

/// The path a pack is served under; its name is its content hash.
pub fn pack_path(hash: u64) -> String {
    format!("/@metamon/pack/{hash:016x}.json")
}

/// How many stable packs stay servable (the requests of the latest pages and navigations), and
/// how many recent ones (a page fetches its packs right after being told them).
const STABLE_PACKS_KEPT: usize = 64;
const RECENT_PACKS_KEPT: usize = 16;

/// The answer to a cacheable pack request: the paths of its packs, and the stable pack's URLs
/// not to define (out of date).
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct PackList {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent: Option<String>,
    pub stable: String,
    pub stale: Vec<String>,
}

/// The stable packs of the requests answered in this server's run, and the latest recent packs.
#[derive(Default)]
pub struct StablePacks(Mutex<StablePacksState>);

#[derive(Default)]
struct StablePacksState {
    /// Per request, oldest first: its stable pack, by hash.
    stable: VecDeque<(String, u64, Arc<Pack>)>,
    recent: VecDeque<(u64, Arc<Pack>)>,
}

impl StablePacks {
    /// Splits `pack`, the current answer to `request`, into the packs to load (the first time a
    /// request is seen, its whole answer becomes its stable pack).
    pub fn split(&self, request: &str, pack: Pack) -> PackList {
        let mut state = self.lock();
        let Some((_, stable_hash, stable)) = state.stable.iter().find(|(key, ..)| key == request)
        else {
            let hash = pack.hash();
            if state.stable.len() == STABLE_PACKS_KEPT {
                state.stable.pop_front();
            }
            state
                .stable
                .push_back((request.to_string(), hash, Arc::new(pack)));
            return PackList {
                recent: None,
                stable: pack_path(hash),
                stale: vec![],
            };
        };
        let (stable_hash, stable) = (*stable_hash, stable.clone());
        let kept: HashSet<u64> = stable.modules.iter().map(|m| m.identity).collect();
        let current: HashSet<u64> = pack.modules.iter().map(|m| m.identity).collect();
        let stale = stable
            .modules
            .iter()
            .filter(|module| !current.contains(&module.identity))
            .map(|module| module.url.clone())
            .collect();
        let modules: Vec<PackedModule> = pack
            .modules
            .into_iter()
            .filter(|module| !kept.contains(&module.identity))
            .collect();
        if modules.is_empty() {
            return PackList {
                recent: None,
                stable: pack_path(stable_hash),
                stale,
            };
        }
        let recent = Pack::new(modules, pack.externals);
        let hash = recent.hash();
        if !state.recent.iter().any(|(kept, _)| *kept == hash) {
            if state.recent.len() == RECENT_PACKS_KEPT {
                state.recent.pop_front();
            }
            state.recent.push_back((hash, Arc::new(recent)));
        }
        PackList {
            recent: Some(pack_path(hash)),
            stable: pack_path(stable_hash),
            stale,
        }
    }

    /// The pack served under [`pack_path`]`(hash)`, while it is kept.
    pub fn get(&self, hash: u64) -> Option<Arc<Pack>> {
        let state = self.lock();
        let stable = state.stable.iter().map(|(_, kept, pack)| (kept, pack));
        let recent = state.recent.iter().map(|(kept, pack)| (kept, pack));
        stable
            .chain(recent)
            .find(|(kept, _)| **kept == hash)
            .map(|(_, pack)| pack.clone())
    }

    fn lock(&self) -> MutexGuard<'_, StablePacksState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(url: &str, identity: u64) -> PackedModule {
        PackedModule {
            url: url.into(),
            deps: vec![],
            is_async: false,
            factory: Err(format!("{url} v{identity}")),
            identity,
        }
    }

    fn pack(modules: &[(&str, u64)]) -> Pack {
        Pack::new(
            modules.iter().map(|(url, id)| module(url, *id)).collect(),
            vec!["/@deps/react.js".into()],
        )
    }

    fn urls(packs: &StablePacks, path: &str) -> Vec<String> {
        let hash = u64::from_str_radix(
            path.trim_start_matches("/@metamon/pack/")
                .trim_end_matches(".json"),
            16,
        )
        .unwrap();
        let pack = packs.get(hash).expect("the pack is kept");
        pack.modules.iter().map(|m| m.url.clone()).collect()
    }

    #[test]
    fn the_stable_pack_stays_the_same_and_the_recent_pack_holds_what_changed() {
        let packs = StablePacks::default();
        let main = [("/src/main.js", 1), ("/src/A.js", 2), ("/src/B.js", 3)];
        let first = packs.split("/src/main.js", pack(&main));
        assert_eq!(first.recent, None);
        assert!(first.stale.is_empty());
        assert_eq!(
            urls(&packs, &first.stable),
            ["/src/main.js", "/src/A.js", "/src/B.js"]
        );
        // Nothing changed: the stable pack alone, under the same path.
        assert_eq!(packs.split("/src/main.js", pack(&main)), first);
        // A.js edited (its importer now imports `A.js?t=5`): the stable pack keeps its path and
        // content; the recent pack holds the two new versions and comes first; the stable
        // pack's main.js and A.js are out of date.
        let edited = packs.split(
            "/src/main.js",
            pack(&[("/src/main.js", 4), ("/src/A.js?t=5", 5), ("/src/B.js", 3)]),
        );
        assert_eq!(edited.stable, first.stable);
        assert_eq!(edited.stale, ["/src/main.js", "/src/A.js"]);
        assert_eq!(
            urls(&packs, &edited.stable),
            ["/src/main.js", "/src/A.js", "/src/B.js"]
        );
        assert_eq!(
            urls(&packs, edited.recent.as_deref().unwrap()),
            ["/src/main.js", "/src/A.js?t=5"]
        );
        // Another request has a stable pack of its own.
        let other = packs.split("/src/other.js", pack(&[("/src/other.js", 9)]));
        assert_ne!(other.stable, first.stable);
        assert_eq!(urls(&packs, &other.stable), ["/src/other.js"]);
    }
}
