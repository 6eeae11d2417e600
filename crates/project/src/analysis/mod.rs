//! Pure analysers: functions over source text with no server state — the imports of a module,
//! how it uses the components it imports, its `import.meta.glob` calls, a page's inline
//! scripts, `.env` files, the pages router table.

pub mod component_uses;
pub mod dotenv;
pub mod glob_import;
pub mod html;
pub mod imports;
pub mod pages;
