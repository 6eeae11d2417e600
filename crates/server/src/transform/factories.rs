//! Module factories (bundled dev serving) by the hash of the served text they were made from:
//! a module served again unchanged is not parsed again.

use metamon_project::module_factory::{Factory, to_factory};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
pub struct FactoryCache(Mutex<HashMap<u64, Arc<Factory>>>);

const FACTORY_CACHE_LIMIT: usize = 20_000;

impl FactoryCache {
    pub fn factory(&self, served: &str) -> Result<Arc<Factory>, String> {
        let hash = metamon_compile::content_hash(served.as_bytes());
        if let Some(factory) = self.lock().get(&hash) {
            return Ok(factory.clone());
        }
        let factory = Arc::new(to_factory(served)?);
        let mut cache = self.lock();
        if cache.len() >= FACTORY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(hash, factory.clone());
        Ok(factory)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Factory>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
