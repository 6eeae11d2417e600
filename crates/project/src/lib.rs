//! The app as metamon sees it, shared by `metamon dev` and `metamon build`: which files it is
//! made of and how URLs name them (`files`, `module_id`), its settings (`settings`), the
//! embedded browser runtime (`runtime_files`), pure analysers of its modules (`analysis`), and
//! one module loaded and compiled by key (`load`, with `bridge` for cross-framework imports), and
//! a served module in the factory form of bundled dev serving (`module_factory`).

pub mod alias;
pub mod analysis;
pub mod bridge;
pub mod components;
pub mod files;
pub mod load;
pub mod module_factory;
pub mod module_id;
pub mod runtime_files;
pub mod settings;
pub mod text_edits;
pub mod vite_config;
