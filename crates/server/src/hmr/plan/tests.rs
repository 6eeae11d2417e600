use super::*;
use crate::graph::Transformed;
use std::path::PathBuf;
use std::sync::Arc;

/// A graph built from `(key, imports, self-accepting, accepted deps)`; each key's file is
/// `/app<key path>`.
fn graph_of(modules: &[(&str, &[&str], bool, &[&str])]) -> Graph {
    let mut graph = Graph::default();
    for (key, _, _, _) in modules {
        graph.ensure(key, &file(key));
    }
    for (key, imports, self_accepting, accepted) in modules {
        let transformed = Transformed {
            self_accepting: *self_accepting,
            accepted_deps: accepted.iter().map(|s| s.to_string()).collect(),
            ..Transformed::default()
        };
        graph.set_transformed(
            key,
            Arc::new(transformed),
            imports.iter().map(|s| s.to_string()).collect(),
        );
    }
    graph.take_pruned();
    graph
}

fn file(key: &str) -> PathBuf {
    PathBuf::from(format!(
        "/app{}",
        metamon_project::module_id::split_key(key).0
    ))
}

fn boundaries(propagation: &Propagation) -> Vec<(&str, &str)> {
    propagation
        .boundaries
        .iter()
        .map(|b| (b.boundary.as_str(), b.accepted.as_str()))
        .collect()
}

#[test]
fn a_self_accepting_module_takes_its_own_update() {
    let graph = graph_of(&[
        ("/main.js", &["/App.jsx"], false, &[]),
        ("/App.jsx", &["/Leaf.jsx"], true, &[]),
        ("/Leaf.jsx", &[], true, &[]),
    ]);
    let propagation = propagate(&graph, "/Leaf.jsx").unwrap();
    assert_eq!(boundaries(&propagation), [("/Leaf.jsx", "/Leaf.jsx")]);
    assert_eq!(propagation.stamped, ["/Leaf.jsx"]);
}

#[test]
fn a_change_walks_up_to_the_first_accepting_importer() {
    let graph = graph_of(&[
        ("/main.js", &["/App.jsx"], false, &[]),
        ("/App.jsx", &["/util.js"], true, &[]),
        ("/util.js", &["/deep.js"], false, &[]),
        ("/deep.js", &[], false, &[]),
    ]);
    let propagation = propagate(&graph, "/deep.js").unwrap();
    assert_eq!(boundaries(&propagation), [("/App.jsx", "/App.jsx")]);
    assert_eq!(
        propagation.stamped,
        ["/deep.js", "/util.js", "/App.jsx"],
        "every module on the way gets a new URL"
    );
}

#[test]
fn an_importer_that_accepts_the_dependency_is_the_boundary() {
    let graph = graph_of(&[
        ("/main.js", &["/dep.js"], false, &["/dep.js"]),
        ("/dep.js", &[], false, &[]),
    ]);
    let propagation = propagate(&graph, "/dep.js").unwrap();
    assert_eq!(boundaries(&propagation), [("/main.js", "/dep.js")]);
    assert_eq!(
        propagation.stamped,
        ["/dep.js"],
        "the boundary keeps its URL"
    );
}

#[test]
fn reaching_an_entry_nothing_accepts_is_a_full_reload() {
    let graph = graph_of(&[
        ("/main.js", &["/util.js"], false, &[]),
        ("/util.js", &[], false, &[]),
    ]);
    assert_eq!(propagate(&graph, "/util.js"), None);
    assert_eq!(propagate(&graph, "/main.js"), None);
    assert_eq!(propagate(&graph, "/unknown.js"), None);
}

#[test]
fn one_path_without_a_boundary_reloads_even_if_another_has_one() {
    let graph = graph_of(&[
        ("/main.js", &["/App.jsx", "/shared.js"], false, &[]),
        ("/App.jsx", &["/shared.js"], true, &[]),
        ("/shared.js", &[], false, &[]),
    ]);
    assert_eq!(propagate(&graph, "/shared.js"), None);
}

#[test]
fn circular_imports_end_at_their_boundary() {
    let graph = graph_of(&[
        ("/main.js", &["/App.jsx"], false, &[]),
        ("/App.jsx", &["/a.js"], true, &[]),
        ("/a.js", &["/b.js"], false, &[]),
        ("/b.js", &["/a.js"], false, &[]),
    ]);
    let propagation = propagate(&graph, "/b.js").unwrap();
    assert_eq!(boundaries(&propagation), [("/App.jsx", "/App.jsx")]);
    assert_eq!(propagation.stamped, ["/b.js", "/a.js", "/App.jsx"]);
    // A cycle with no way out to a boundary is a reload, not an endless walk.
    let closed = graph_cycle_without_boundary();
    assert_eq!(propagate(&closed, "/x.js"), None);
}

fn graph_cycle_without_boundary() -> Graph {
    graph_of(&[
        ("/main.js", &["/x.js"], false, &[]),
        ("/x.js", &["/y.js"], false, &[]),
        ("/y.js", &["/x.js"], false, &[]),
    ])
}

#[test]
fn an_invalidated_module_hands_its_update_to_its_importers() {
    let graph = graph_of(&[
        ("/main.js", &["/App.jsx"], false, &[]),
        ("/App.jsx", &["/Leaf.jsx"], true, &[]),
        ("/Leaf.jsx", &[], true, &[]),
    ]);
    let propagation = propagate_invalidated(&graph, "/Leaf.jsx").unwrap();
    assert_eq!(boundaries(&propagation), [("/App.jsx", "/App.jsx")]);
    assert_eq!(propagation.stamped, ["/App.jsx"]);
    // The entry itself has no importer to hand it to: a reload.
    assert_eq!(propagate_invalidated(&graph, "/main.js"), None);
    // An invalidated module in an import cycle goes round once.
    let cycle = graph_of(&[
        ("/main.js", &["/App.jsx"], false, &[]),
        ("/App.jsx", &["/a.js"], true, &[]),
        ("/a.js", &["/b.js"], true, &[]),
        ("/b.js", &["/a.js"], false, &[]),
    ]);
    let propagation = propagate_invalidated(&cycle, "/a.js").unwrap();
    assert_eq!(boundaries(&propagation), [("/App.jsx", "/App.jsx")]);
}

#[test]
fn a_module_that_loses_its_last_importer_is_pruned_and_needs_no_reload() {
    let mut graph = graph_of(&[
        ("/main.js", &["/App.jsx"], false, &[]),
        ("/App.jsx", &["/Old.jsx"], true, &[]),
        ("/Old.jsx", &["/util.js"], false, &[]),
        ("/util.js", &[], false, &[]),
    ]);
    graph.set_transformed(
        "/App.jsx",
        Arc::new(Transformed {
            self_accepting: true,
            ..Transformed::default()
        }),
        Default::default(),
    );
    assert_eq!(graph.take_pruned(), ["/Old.jsx"]);
    assert!(graph.take_pruned().is_empty(), "drained once");
    let propagation = propagate(&graph, "/Old.jsx").unwrap();
    assert!(
        propagation.boundaries.is_empty(),
        "no page runs it: nothing to update"
    );
}

#[test]
fn what_a_changed_file_means() {
    let mut graph = graph_of(&[
        ("/main.js", &["/App.vue"], false, &[]),
        ("/App.vue", &["/App.vue?css"], true, &[]),
        ("/App.vue?css", &[], true, &[]),
        ("/glob.js", &[], true, &[]),
    ]);
    graph.modules.get_mut("/glob.js").unwrap().globs =
        Some(metamon_config::Config::glob_set(
            &["pages/*.js".to_string()],
        ));
    let action = |graph: &Graph, relative: &str, exists| {
        file_action(graph, &file(&format!("/{relative}")), relative, exists)
    };
    assert_eq!(
        action(&graph, "App.vue", true),
        FileAction::Recompile(vec!["/App.vue".into(), "/App.vue?css".into()])
    );
    assert_eq!(action(&graph, "App.vue", false), FileAction::Deleted);
    assert_eq!(
        action(&graph, "metamon.config.json", true),
        FileAction::ReloadConfig
    );
    assert_eq!(
        action(&graph, "index.html", true),
        FileAction::ReloadPage("/index.html".into())
    );
    assert_eq!(
        action(&graph, "theme.css", true),
        FileAction::SwapLinkedStylesheet("/theme.css".into())
    );
    assert_eq!(action(&graph, "theme.css", false), FileAction::NotLoaded);
    assert_eq!(action(&graph, "scratch.js", true), FileAction::NotLoaded);
    assert_eq!(action(&graph, "", true), FileAction::Ignore);
    // A deleted file that a glob matched: the globbing module's update handles it.
    graph.ensure("/pages/a.js", &file("/pages/a.js"));
    assert_eq!(
        action(&graph, "pages/a.js", false),
        FileAction::DeletedWithDependents
    );
}

#[test]
fn a_batch_becomes_one_message() {
    let graph = graph_of(&[
        ("/main.js", &["/A.jsx", "/B.jsx"], false, &[]),
        ("/A.jsx", &[], true, &[]),
        ("/B.jsx", &[], true, &[]),
    ]);
    let mut plan = Plan::default();
    for key in ["/A.jsx", "/B.jsx", "/A.jsx"] {
        let mut file_plan = Plan::default();
        file_plan.add_propagation(key, propagate(&graph, key).as_ref(), 9);
        file_plan
            .files
            .push(key.trim_start_matches('/').to_string());
        plan.merge(file_plan);
    }
    let timing = Timing {
        changed_at: 1,
        compile_ms: 2,
        sent_at: 3,
    };
    let payloads = plan
        .clone()
        .into_payloads(vec!["/Gone.jsx".into()], timing.clone());
    let json: Vec<String> = payloads.iter().map(HmrPayload::to_json).collect();
    insta::assert_snapshot!(json.join("\n"));
    plan.add_propagation("/main.js", propagate(&graph, "/main.js").as_ref(), 9);
    assert_eq!(
        plan.into_payloads(vec![], timing),
        [HmrPayload::FullReload {
            path: "/main.js".into()
        }],
        "a reload wins over the hot updates of the same batch"
    );
}

#[test]
fn invalidations_round_an_import_cycle_end_where_they_started() {
    // child ⇄ parent, both self-accepting and both invalidating in their accept callbacks
    // (loaded by a dynamic import whose importer is gone: no entry above them).
    let graph = graph_of(&[
        ("/parent.js", &["/child.js"], true, &[]),
        ("/child.js", &["/parent.js"], true, &[]),
    ]);
    // child invalidates first: parent takes it, the walk has not come back yet.
    let from_child = propagate_invalidated(&graph, "/child.js").unwrap();
    assert_eq!(boundaries(&from_child), [("/parent.js", "/parent.js")]);
    assert!(!returns_to_first_invalidated(
        &from_child,
        "/child.js",
        "/child.js"
    ));
    // parent invalidates in turn: child would take it again, so the page reloads.
    let from_parent = propagate_invalidated(&graph, "/parent.js").unwrap();
    assert_eq!(boundaries(&from_parent), [("/child.js", "/child.js")]);
    assert!(returns_to_first_invalidated(
        &from_parent,
        "/parent.js",
        "/child.js"
    ));
}

#[test]
fn an_importer_accepting_the_invalidated_module_is_no_cycle() {
    let graph = graph_of(&[
        ("/main.js", &["/label.js"], false, &["/label.js"]),
        ("/label.js", &[], true, &[]),
    ]);
    let propagation = propagate_invalidated(&graph, "/label.js").unwrap();
    assert_eq!(boundaries(&propagation), [("/main.js", "/label.js")]);
    assert!(!returns_to_first_invalidated(
        &propagation,
        "/label.js",
        "/label.js"
    ));
}
