//! The variables apt tasks use for package names and state, collected across every file of a
//! run, with the pinned packages their definitions hold.

use super::*;

/// Collects variables that apt tasks use for package names or state (`{{ var }}`).
/// Uses by tasks for another OS family (a `when` on RedHat, a `setup-RedHat.yml`) are recorded
/// in [`VarInfo::foreign_uses`].
pub(crate) fn collect_var_refs(path: &Path, docs: &[Node], out: &mut VarInfo) {
    fn walk_tasks(path: &Path, list: &Node, foreign: bool, out: &mut VarInfo) {
        for task in list.items() {
            let foreign = foreign || foreign_when(task);
            for key in ["block", "rescue", "always"] {
                if let Some(sub) = task.get(key) {
                    walk_tasks(path, sub, foreign, out);
                }
            }
            let Some((mk, args)) = task
                .entries()
                .iter()
                .find(|(k, _)| k.str().is_some_and(|k| APT_MODULES.contains(&k)))
            else {
                continue;
            };
            // a generic `package` task that also runs on RedHat: its variables are foreign's
            let foreign = foreign || cross_platform(path, mk.str().unwrap_or_default(), task, out);
            // a mapping's first name key, or a free-form string's (`name={{ pkgs }}`)
            let name = match &args.kind {
                Kind::Scalar(..) => NAME_KEYS.iter().find_map(|k| free_form::arg_value(args, k)),
                _ => args
                    .entries()
                    .iter()
                    .find(|(k, _)| k.str().is_some_and(|k| NAME_KEYS.contains(&k)))
                    .and_then(|(_, v)| v.str())
                    .map(str::to_string),
            };
            let name = name.as_deref();
            let lv = loop_var(task);
            let var = match name.and_then(simple_var) {
                Some(v) if v == lv => ["loop", "with_items"]
                    .iter()
                    .find_map(|k| task.get(k))
                    .and_then(Node::str)
                    .and_then(simple_var),
                other => other,
            };
            if foreign {
                if let Some(v) = var {
                    out.foreign_uses.insert(v.to_string());
                }
                continue;
            }
            // Removals and `deb:` installs are never pinned (see `block_args`), so the variables
            // they name must not be rewritten for them (nor for an install that shares them).
            let state = free_form::arg_value(args, "state");
            let state = state.as_deref();
            if free_form::arg_value(args, "deb").is_some()
                || state.is_some_and(|s| SKIP_STATES.contains(&s))
            {
                if let Some(v) = var {
                    out.not_pinned_uses.insert(v.to_string());
                }
                continue;
            }
            if let Some(s) = state.and_then(simple_var) {
                out.states.insert(s.to_string());
            }
            if let Some(v) = var {
                out.names.entry(v.to_string()).or_default();
            }
        }
    }
    for doc in docs {
        if let Kind::Seq { items, .. } = &doc.kind {
            let is_playbook = items.iter().any(|it| {
                it.entries()
                    .iter()
                    .any(|(k, _)| k.str().is_some_and(|k| PLAY_KEYS.contains(&k)))
            });
            if is_playbook {
                for play in items {
                    for key in TASK_LIST_KEYS {
                        if let Some(l) = play.get(key) {
                            walk_tasks(path, l, foreign_file(path), out);
                        }
                    }
                }
            } else {
                walk_tasks(path, doc, foreign_file(path), out);
            }
        }
    }
}

/// Adds to `out` the pinned packages found in definitions of the referenced name variables.
pub(crate) fn collect_var_pins(docs: &[Node], versions: &dyn VersionSource, out: &mut VarInfo) {
    let mut defs: Vec<&Node> = Vec::new();
    for doc in docs {
        match &doc.kind {
            Kind::Map { .. } => defs.push(doc),
            Kind::Seq { items, .. } => {
                for play in items {
                    if play.get("hosts").is_some() {
                        if let Some(v) = play.get("vars") {
                            defs.push(v);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for map in defs {
        for (k, v) in map.entries() {
            let Some(key) = k.str() else { continue };
            let Some(set) = out.names.get_mut(key) else {
                continue;
            };
            out.defined.insert(key.to_string());
            let values: Vec<&str> = match &v.kind {
                Kind::Scalar(s, _) => vec![s.as_str()],
                Kind::Seq { items, .. } => items.iter().filter_map(Node::str).collect(),
                _ => Vec::new(),
            };
            let plain =
                matches!(v.kind, Kind::Scalar(..)) || v.items().iter().all(|i| i.str().is_some());
            if !plain || v.has_anchor_or_alias().is_some() || values.iter().any(|s| is_jinja(s)) {
                out.unsafe_defs.insert(key.to_string());
                continue;
            }
            for s in values {
                set.extend(rewrite_name_list(s, versions).1);
            }
        }
    }
}
