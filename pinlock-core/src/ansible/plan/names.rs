//! Reading and rewriting the package names of one apt task: a list, a (comma) string, free-form
//! arguments, or a variable whose definitions were collected across files.

use super::*;

impl Planner<'_> {
    /// Pins the package names held by `node` (a string, comma string or list).
    /// Returns the pinned names, or `None` when the node cannot be handled (a refusal was recorded).
    pub(super) fn pin_names(&mut self, node: &Node, path: &[Seg]) -> Option<Vec<String>> {
        if let Some(p) = node.has_anchor_or_alias() {
            self.refuse(
                p.line,
                "package list uses a YAML anchor or alias; pinlock will not edit it (edit by hand or expand the alias)",
            );
            return None;
        }
        match &node.kind {
            Kind::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded) => {
                self.refuse(
                    node.pos.line,
                    "package names are a block scalar (| or >); pinlock rewrites lists and one-line strings only",
                );
                None
            }
            Kind::Scalar(v, _) => {
                if is_jinja(v) {
                    self.refuse(
                        node.pos.line,
                        format!("package names come from a Jinja expression `{v}`; pinlock cannot rewrite it"),
                    );
                    return None;
                }
                let (new, pinned) = rewrite_name_list(v, self.versions);
                if !pinned.is_empty() {
                    self.set_scalar(node, path, new, format!("pin {}", pinned.join(", ")));
                }
                Some(pinned)
            }
            Kind::Seq { items, .. } => {
                let mut all = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let Some(v) = item.str() else {
                        self.refuse(item.pos.line, "package list item is not a string");
                        return None;
                    };
                    if is_jinja(v) {
                        self.refuse(
                            item.pos.line,
                            format!("package list item is a Jinja expression `{v}`; pinlock cannot rewrite it"),
                        );
                        return None;
                    }
                    let mut p = path.to_vec();
                    p.push(Seg::Index(i));
                    let (new, pinned) = rewrite_name_list(v, self.versions);
                    if !pinned.is_empty() {
                        self.set_scalar(item, &p, new, format!("pin {}", pinned.join(", ")));
                    }
                    all.extend(pinned);
                }
                Some(all)
            }
            _ => {
                self.refuse(
                    node.pos.line,
                    "package names are neither a string nor a list",
                );
                None
            }
        }
    }

    /// Handles block or flow mapping arguments; returns the pinned names (None: not an install).
    pub(super) fn block_args(
        &mut self,
        task: &Node,
        args: &Node,
        path: &[Seg],
        flow: bool,
    ) -> Option<Vec<String>> {
        if args.get("deb").is_some() {
            return None;
        }
        let state = args.get("state");
        if let Some(s) = state.and_then(Node::str) {
            if SKIP_STATES.contains(&s) {
                return None;
            }
        }
        let (name_key, name_node) = args
            .entries()
            .iter()
            .find(|(k, _)| k.str().is_some_and(|k| NAME_KEYS.contains(&k)))
            .map(|(k, v)| (k.str().unwrap_or_default().to_string(), v))?;
        if let Some(p) = args.has_anchor_or_alias() {
            self.refuse(
                p.line,
                "apt task arguments use a YAML anchor or alias; pinlock will not edit them",
            );
            return None;
        }
        let mut np = path.to_vec();
        np.push(Seg::Key(name_key));
        let raw = name_node.str().map(str::to_string);
        let pinned = match raw.as_deref().and_then(simple_var) {
            Some(var) => self.indirect_names(task, var, name_node.pos.line, path)?,
            None => self.pin_names(name_node, &np)?,
        };
        if pinned.is_empty() {
            return Some(pinned);
        }
        if let Some(s) = state {
            if s.str() == Some("latest") {
                let mut sp = path.to_vec();
                sp.push(Seg::Key("state".into()));
                self.set_scalar(s, &sp, "present".into(), "state: latest -> present".into());
            }
        }
        // allow_downgrade / allow_change_held_packages
        let mut missing = Vec::new();
        for key in ["allow_downgrade", "allow_change_held_packages"] {
            match args.get(key) {
                Some(v) => {
                    let truthy = v
                        .str()
                        .is_some_and(|s| matches!(s, "true" | "True" | "TRUE" | "yes" | "Yes"));
                    if !truthy {
                        let mut kp = path.to_vec();
                        kp.push(Seg::Key(key.into()));
                        self.set_scalar(v, &kp, "true".into(), format!("{key}: true"));
                    }
                }
                None => missing.push(key),
            }
        }
        if !missing.is_empty() {
            for key in &missing {
                self.plan.ops.push(Op::AppendKey {
                    path: path.to_vec(),
                    key: (*key).into(),
                    value: "true".into(),
                });
            }
            if flow {
                let close = args.pos.end.saturating_sub(1);
                if self.text.as_bytes().get(close) != Some(&b'}') {
                    self.refuse(args.pos.line, "cannot find the end of the flow mapping");
                    return None;
                }
                let text: String = missing.iter().map(|k| format!(", {k}: true")).collect();
                // insert before the closing brace, after any trailing spaces of the last entry
                let last_end = args.content_end_inner();
                let at = last_end.min(close);
                self.push_splice(at, at, text);
            } else {
                let col = args.entries()[0].0.pos.col;
                let indent = " ".repeat(col);
                let lines: Vec<String> = missing
                    .iter()
                    .map(|k| format!("{indent}{k}: true"))
                    .collect();
                let at = self.insertion_point(args.content_end(), col);
                self.insert_lines_at(at, &lines);
            }
            let line = args.pos.line;
            self.edit(line, format!("add {}", missing.join(", ")));
        }
        Some(pinned)
    }

    /// Pinned names of a task whose package names are `{{ var }}` (at `line`): the items of its
    /// loop when `var` is the loop variable, else the definitions of `var`. `args_path` is the
    /// path of the module's arguments.
    pub(super) fn indirect_names(
        &mut self,
        task: &Node,
        var: &str,
        line: usize,
        args_path: &[Seg],
    ) -> Option<Vec<String>> {
        let lv = loop_var(task);
        if var != lv {
            return self.var_names(var, line);
        }
        let (lk, loop_node) = ["loop", "with_items"]
            .iter()
            .find_map(|k| task.get(k).map(|n| (*k, n)))
            .or_else(|| {
                self.refuse(
                    line,
                    format!(
                        "`{{{{ {lv} }}}}` without loop/with_items; pinlock cannot see the packages"
                    ),
                );
                None
            })?;
        let mut lp = args_path[..args_path.len() - 1].to_vec();
        lp.push(Seg::Key(lk.into()));
        match loop_node.str().and_then(simple_var) {
            Some(var) => self.var_names(var, loop_node.pos.line),
            None => self.pin_names(loop_node, &lp),
        }
    }

    /// Pinned names held by the definitions of variable `var` (collected across files).
    pub(super) fn var_names(&mut self, var: &str, line: usize) -> Option<Vec<String>> {
        if self.vars.unsafe_defs.contains(var) {
            self.refuse(
                line,
                format!("packages come from variable `{var}`, and a definition of it uses Jinja, an anchor or a non-list value that pinlock cannot rewrite"),
            );
            return None;
        }
        if self.vars.foreign_uses.contains(var) {
            self.refuse(
                line,
                format!("packages come from variable `{var}`, which a task for another OS family (RedHat, Suse, ...) also uses; pinning it would give that task Debian versions, so it is left as it is (the host enforcement still pins these packages on Debian hosts)\nhint: give the Debian task its own variable"),
            );
            return None;
        }
        if self.vars.not_pinned_uses.contains(var) {
            self.refuse(
                line,
                format!("packages come from variable `{var}`, which a removal (or `deb:`, `build-dep`, `fixed`) task also uses; pinning it would change that task too (a removal would remove only the pinned version), so this file is left unchanged\nhint: give the install and the removal separate variables"),
            );
            return None;
        }
        match self.vars.names.get(var) {
            Some(set) if self.vars.defined.contains(var) => Some(set.iter().cloned().collect()),
            _ => {
                self.warn(
                    line,
                    format!("packages come from variable `{var}`, which is not defined in the given files; pass its vars file (defaults/, vars/, group_vars/, host_vars/) too"),
                );
                None
            }
        }
    }
}
