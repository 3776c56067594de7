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
            Kind::Seq { items, flow } => {
                let mut all = Vec::new();
                // (item, its path, new value, pinned names)
                let mut changes: Vec<(&Node, Vec<Seg>, String, Vec<String>)> = Vec::new();
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
                    all.extend(pinned.iter().cloned());
                    if !pinned.is_empty() {
                        changes.push((item, p, new, pinned));
                    }
                }
                if *flow && !changes.is_empty() && self.flow_to_block(node, &changes) {
                    return Some(all);
                }
                for (item, p, new, pinned) in changes {
                    self.set_scalar(item, &p, new, format!("pin {}", pinned.join(", ")));
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

    /// A one-line flow list (`name: [a, b]`, the value of a block mapping key) whose line
    /// pinning would push past [`MAX_LINE`](super::super::MAX_LINE) characters is rewritten in
    /// block style, indented as the file's block sequences are. Plans that (ops, edits, one
    /// splice) and returns true; false (nothing planned) when the list stays flow.
    fn flow_to_block(
        &mut self,
        list: &Node,
        changes: &[(&Node, Vec<Seg>, String, Vec<String>)],
    ) -> bool {
        let text = self.text;
        let start = list.pos.start;
        // the closing bracket (the parser's span may run on over a trailing comment)
        let inner = list.content_end_inner();
        let Some(end) = text[inner..].find(']').map(|i| inner + i + 1) else {
            return false;
        };
        if text[start..end].contains('\n') || !text[start..].starts_with('[') {
            return false;
        }
        let ls = self.line_start(start);
        let le = self.line_end_after(end);
        // the key before the list: `  key: [` or `  - key: [`
        let before = &text[ls..start];
        let Some(colon) = before.trim_end().strip_suffix(':').map(str::len) else {
            return false;
        };
        let lead = before.len() - before.trim_start_matches([' ', '-']).len();
        let key = &before[lead..colon];
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.".contains(c))
            || !before[..lead].chars().all(|c| c == ' ' || c == '-')
        {
            return false;
        }
        // the list as pinned, item by item
        let mut new_items: Vec<String> = Vec::new();
        let mut inline = String::new();
        let mut at = start;
        for item in list.items() {
            let raw = &text[item.pos.start..item.pos.end];
            let rendered = match changes.iter().find(|c| std::ptr::eq(c.0, item)) {
                Some((_, _, new, _)) => render_scalar(item, raw, new),
                None => raw.to_string(),
            };
            inline.push_str(&text[at..item.pos.start]);
            inline.push_str(&rendered);
            at = item.pos.end;
            new_items.push(rendered);
        }
        inline.push_str(&text[at..le]);
        let line = format!("{}{}", &text[ls..start], inline);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.chars().count() <= super::super::MAX_LINE {
            return false;
        }
        let key_col = text[ls..ls + lead].chars().count();
        let (dash_off, gap) = self
            .docs
            .iter()
            .find_map(|d| self.seq_style(d))
            .unwrap_or((self.unit, 1));
        let prefix = format!("{}-{}", " ".repeat(key_col + dash_off), " ".repeat(gap));
        let block: String = new_items
            .iter()
            .map(|i| format!("{}{prefix}{i}", self.eol))
            .collect();
        self.push_splice(ls + colon + 1, end, block);
        for (_, p, new, pinned) in changes {
            self.plan.ops.push(Op::SetScalar {
                path: p.clone(),
                value: new.clone(),
            });
            self.edit(list.pos.line, format!("pin {}", pinned.join(", ")));
        }
        self.edit(
            list.pos.line,
            format!(
                "`{key}` list written in block style (pinned, its line would pass {} characters)",
                super::super::MAX_LINE
            ),
        );
        true
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
