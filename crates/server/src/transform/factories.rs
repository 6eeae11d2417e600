//! Module factories (bundled dev serving) by the hash of the served text they were made from:
//! a module served again unchanged is not parsed again, in this run (memory) or the next (a
//! log in the project's cache folder, keyed by the text's hash and this build of metamon). A
//! fresh server's first pack made a factory of each of its modules: 66 ms of the answer at
//! 1000 React components, ~400 ms at 10 000.

use metamon_compile::EntryLog;
use metamon_project::module_factory::{Factory, to_factory};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct FactoryCache {
    made: Mutex<HashMap<u64, Arc<Factory>>>,
    /// Factories of earlier runs.
    log: EntryLog,
}

const FACTORY_CACHE_LIMIT: usize = 20_000;

impl FactoryCache {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            made: Mutex::default(),
            log: EntryLog::open(dir.join("factories.log")),
        }
    }

    /// Opens the log now (bundled dev serving): the server holds its files from the start.
    pub fn open_log(&self) {
        self.log.open_files();
    }

    pub fn factory(&self, served: &str) -> Result<Arc<Factory>, String> {
        let hash = metamon_compile::content_hash(served.as_bytes());
        if let Some(factory) = self.lock().get(&hash) {
            return Ok(factory.clone());
        }
        let key = hash ^ metamon_compile::build_identity();
        let kept = self
            .log
            .get(key)
            .and_then(|bytes| serde_json::from_slice::<Factory>(&bytes).ok());
        let factory = match kept {
            Some(factory) => Arc::new(factory),
            None => {
                let factory = Arc::new(to_factory(served)?);
                if let Ok(json) = serde_json::to_vec(&*factory) {
                    self.log.put(key, &json);
                }
                factory
            }
        };
        let mut cache = self.lock();
        if cache.len() >= FACTORY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(hash, factory.clone());
        Ok(factory)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Factory>>> {
        self.made.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_factory_made_by_one_run_is_read_by_the_next() {
        let dir = std::env::temp_dir().join(format!("metamon-factories-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let served = "import { a } from \"/src/a.js\";\nexport const b = a + 1;\n";
        let made = FactoryCache::new(dir.clone()).factory(served).unwrap();
        let log = dir.join("factories.log");
        let written = std::fs::metadata(&log).unwrap().len();
        assert!(written > 0);
        // The next run finds it, and writes nothing more.
        let next = FactoryCache::new(dir.clone());
        let read = next.factory(served).unwrap();
        assert_eq!(*read, *made);
        assert_eq!(read.deps, vec!["/src/a.js".to_string()]);
        assert_eq!(std::fs::metadata(&log).unwrap().len(), written);
        // Another text is made and kept.
        let other = next.factory("export default 2;\n").unwrap();
        assert!(other.deps.is_empty());
        assert!(std::fs::metadata(&log).unwrap().len() > written);
        // A text that does not parse is an error, and nothing is kept for it.
        let before = std::fs::metadata(&log).unwrap().len();
        assert!(next.factory("export const = ;").is_err());
        assert_eq!(std::fs::metadata(&log).unwrap().len(), before);
        let _ = std::fs::remove_dir_all(dir);
    }
}
