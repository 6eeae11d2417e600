//! Hot module replacement: [`plan`] decides, as a pure function of the module graph, what a
//! change means for the pages; [`update`] recompiles the changed modules and asks it.

pub mod plan;
pub mod update;
