//! Free-form module arguments (`apt: name="docker-ce" state=latest`), read the way ansible-core
//! reads them: `split_args` (whitespace-split, re-joined inside quotes and Jinja blocks) and
//! `parse_kv` (first unescaped `=` splits key and value, both stripped, one pair of matching
//! quotes removed from the value) of `lib/ansible/parsing/splitter.py`.
//!
//! Only strings without backslashes are handled (ansible-core decodes escapes and line
//! continuations in them); every parameter is then a contiguous byte range of the string, so an
//! edit touches the value it changes and nothing else.

use std::collections::BTreeMap;
use std::ops::Range;

use super::*;

/// One `key=value` parameter of a free-form string, as byte ranges into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KvParam {
    /// The key, stripped.
    pub key: String,
    /// The value as the module gets it (stripped, unquoted).
    pub value: String,
    /// Where that value is in the string (inside the quotes when quoted).
    pub span: Range<usize>,
    /// The quote around the value, if any.
    pub quote: Option<char>,
}

/// A free-form argument string split as ansible-core splits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FreeForm {
    /// The `key=value` parameters, in order (a later duplicate key wins in Ansible).
    pub params: Vec<KvParam>,
    /// Parameters without `=` (ansible-core's `_raw_params`), as they appear.
    pub raw: Vec<String>,
}

impl FreeForm {
    /// The options dict `parse_kv` returns (`_raw_params` joined with single spaces).
    pub fn options(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self
            .params
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        if !self.raw.is_empty() {
            out.insert("_raw_params".into(), self.raw.join(" "));
        }
        out
    }

    /// The last parameter named `key` (the one Ansible uses).
    pub fn get(&self, key: &str) -> Option<&KvParam> {
        self.params.iter().rev().find(|p| p.key == key)
    }
}

/// Why a free-form string is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A backslash: ansible-core decodes escapes and line continuations first.
    Backslash,
    /// Unbalanced quotes or Jinja blocks: ansible-core fails on the task.
    Unbalanced,
}

/// The quote state after `token`, starting in `quote` (splitter.py `_get_quote_state`).
fn quote_state(token: &str, mut quote: Option<char>) -> Option<char> {
    let mut prev = None;
    for c in token.chars() {
        if (c == '"' || c == '\'') && prev != Some('\\') {
            match quote {
                Some(q) if q == c => quote = None,
                Some(_) => {}
                None => quote = Some(c),
            }
        }
        prev = Some(c);
    }
    quote
}

/// splitter.py `_count_jinja2_blocks`.
fn jinja_depth(token: &str, depth: usize, open: &str, close: &str) -> usize {
    let (o, c) = (token.matches(open).count(), token.matches(close).count());
    if o == c {
        depth
    } else {
        (depth as isize + o as isize - c as isize).max(0) as usize
    }
}

/// splitter.py `split_args`, returning each parameter's byte range in `s`. Requires `s` without
/// backslashes (see [`SplitError::Backslash`]), so that every parameter is contiguous.
pub(crate) fn split_args(s: &str) -> Result<Vec<Range<usize>>, SplitError> {
    if s.contains('\\') {
        return Err(SplitError::Backslash);
    }
    let mut params: Vec<Range<usize>> = Vec::new();
    let mut quote = None;
    let mut inside = false;
    let (mut print, mut block, mut comment) = (0usize, 0usize, 0usize);
    let lines: Vec<(usize, &str)> = {
        let mut at = 0;
        s.split('\n')
            .map(|l| {
                let r = (at, l);
                at += l.len() + 1;
                r
            })
            .collect()
    };
    let n_lines = lines.len();
    for (li, (line_at, line)) in lines.into_iter().enumerate() {
        let mut tok_at = line_at;
        for (idx, token) in line.split(' ').enumerate() {
            let range = tok_at..tok_at + token.len();
            tok_at += token.len() + 1;
            if token.is_empty() && idx != 0 {
                // a run of spaces: the space goes onto the last parameter
                match params.last_mut() {
                    Some(p) => p.end += 1,
                    None => params.push(range.start - 1..range.start),
                }
                continue;
            }
            let was_inside = inside;
            quote = quote_state(token, quote);
            inside = quote.is_some();
            let jinja = print > 0 || block > 0 || comment > 0;
            let mut appended = false;
            if inside && !was_inside && !jinja {
                params.push(range.clone());
                appended = true;
            } else if jinja || inside || was_inside {
                match params.last_mut() {
                    Some(p) => p.end = range.end,
                    None => params.push(range.clone()),
                }
                appended = true;
            }
            for (depth, open, close) in [
                (&mut print, "{{", "}}"),
                (&mut block, "{%", "%}"),
                (&mut comment, "{#", "#}"),
            ] {
                let before = *depth;
                *depth = jinja_depth(token, *depth, open, close);
                if *depth != before && !appended {
                    params.push(range.clone());
                    appended = true;
                }
            }
            if print == 0 && block == 0 && comment == 0 && !inside && !appended && !token.is_empty()
            {
                params.push(range);
            }
        }
        if n_lines > 1 && li != n_lines - 1 {
            // the line break goes onto the last parameter
            match params.last_mut() {
                Some(p) => p.end = line_at + line.len() + 1,
                None => params.push(line_at + line.len()..line_at + line.len() + 1),
            }
        }
    }
    if print > 0 || block > 0 || comment > 0 || inside {
        return Err(SplitError::Unbalanced);
    }
    Ok(params)
}

/// Python's `str.strip()` on a byte range of `s` (ASCII whitespace, which is all `s` can hold
/// between parameters).
fn strip(s: &str, r: Range<usize>) -> Range<usize> {
    let t = &s[r.clone()];
    let lead = t.len() - t.trim_start().len();
    let trail = t.len() - t.trim_end().len();
    r.start + lead..(r.end - trail).max(r.start + lead)
}

/// splitter.py `parse_kv` (without escapes, see [`split_args`]), keeping where each value is.
pub(crate) fn parse_kv(s: &str) -> Result<FreeForm, SplitError> {
    let mut out = FreeForm::default();
    for r in split_args(s)? {
        let x = &s[r.clone()];
        // the first `=` after the first character
        let Some(pos) = x
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '=')
            .map(|(i, _)| i)
        else {
            out.raw.push(x.to_string());
            continue;
        };
        let key = x[..pos].trim().to_string();
        let v = strip(s, r.start + pos + 1..r.end);
        let text = &s[v.clone()];
        let b = text.as_bytes();
        let quoted = b.len() > 1 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'');
        let (span, quote) = if quoted {
            (v.start + 1..v.end - 1, Some(b[0] as char))
        } else {
            (v, None)
        };
        out.params.push(KvParam {
            key,
            value: s[span.clone()].to_string(),
            span,
            quote,
        });
    }
    Ok(out)
}

/// Where each byte of a scalar's value is in its raw YAML text, for plain scalars and quoted
/// ones without escapes: `None` when the raw text holds something other than the value's
/// characters plus folding whitespace (escapes, `''`), so that edits cannot be placed safely.
pub(crate) fn value_offsets(raw: &str, value: &str, style: ScalarStyle) -> Option<Vec<usize>> {
    let (inner, base) = match style {
        ScalarStyle::Plain => (raw, 0),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            if raw.len() < 2 || (style == ScalarStyle::DoubleQuoted && raw.contains('\\')) {
                return None;
            }
            (&raw[1..raw.len() - 1], 1)
        }
        _ => return None,
    };
    let rb = inner.as_bytes();
    let mut offsets = Vec::with_capacity(value.len() + 1);
    let mut i = 0;
    for &c in value.as_bytes() {
        while i < rb.len() && rb[i] != c {
            if !matches!(rb[i], b' ' | b'\t' | b'\n' | b'\r') {
                return None;
            }
            i += 1;
        }
        if i == rb.len() {
            return None;
        }
        offsets.push(base + i);
        i += 1;
    }
    // the end: just after the last character
    offsets.push(base + i);
    // the rest may only be whitespace
    rb[i..]
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .then_some(offsets)
}

/// `text` written inside a scalar of `style` (quotes doubled or escaped).
pub(crate) fn escape_for(style: ScalarStyle, text: &str) -> String {
    match style {
        ScalarStyle::SingleQuoted => text.replace('\'', "''"),
        ScalarStyle::DoubleQuoted => text.replace('\\', "\\\\").replace('"', "\\\""),
        _ => text.to_string(),
    }
}

/// The value of argument `key` of a module's arguments, a mapping or a free-form string
/// (`Some("")` for a key without a string value).
pub(crate) fn arg_value(args: &Node, key: &str) -> Option<String> {
    match &args.kind {
        Kind::Map { .. } => args
            .get(key)
            .map(|v| v.str().unwrap_or_default().to_string()),
        Kind::Scalar(s, _) => parse_kv(s).ok()?.get(key).map(|p| p.value.clone()),
        _ => None,
    }
}

/// Whether the edits append nothing at `end`.
fn append_text_is_empty(edits: &[(Range<usize>, String)], end: usize) -> bool {
    !edits.iter().any(|(r, _)| r.is_empty() && r.start == end)
}

/// `raw` (which starts at byte `base` of the file) with `splices` (file offsets) applied.
fn apply_relative(raw: &str, base: usize, splices: &[(usize, usize, String)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (s, e, t) in splices {
        out.push_str(&raw[at..s - base]);
        out.push_str(t);
        at = e - base;
    }
    out.push_str(&raw[at..]);
    out
}

/// Whether a module argument value is true the way pinlock writes it.
fn truthy(s: &str) -> bool {
    matches!(s, "true" | "True" | "TRUE" | "yes" | "Yes")
}

impl Planner<'_> {
    /// Handles free-form arguments (`name="docker-ce" state=latest`): the name value, `state`
    /// and the `allow_*` options are edited in place, quotes and spacing kept, and the result
    /// must parse back (as ansible-core parses it) to the intended options. Returns the pinned
    /// names (empty: nothing to pin; `None`: refused or not an install).
    pub(super) fn free_form(
        &mut self,
        task: &Node,
        args: &Node,
        path: &[Seg],
    ) -> Option<Vec<String>> {
        let Kind::Scalar(value, style) = &args.kind else {
            return None;
        };
        let style = *style;
        let line = args.pos.line;
        let ff = match parse_kv(value) {
            Ok(f) => f,
            Err(e) => {
                let names_packages = NAME_KEYS.iter().any(|k| value.contains(&format!("{k}=")));
                if names_packages {
                    let why = match e {
                        SplitError::Backslash => {
                            "hold a backslash (ansible-core decodes escapes in them)"
                        }
                        SplitError::Unbalanced => "have an unbalanced quote or Jinja block",
                    };
                    self.refuse(
                        line,
                        format!("free-form apt arguments {why}; pinlock will not rewrite them\nhint: write the arguments as a mapping (name: ..., state: ...)"),
                    );
                }
                return None;
            }
        };
        if ff.get("deb").is_some()
            || ff
                .get("state")
                .is_some_and(|s| SKIP_STATES.contains(&s.value.as_str()))
        {
            return None;
        }
        let Some(name) = NAME_KEYS.iter().find_map(|k| ff.get(k)) else {
            return Some(Vec::new());
        };
        if args.anchor != 0 || args.tagged {
            self.refuse(
                line,
                "free-form apt arguments carry a YAML anchor or tag; not edited",
            );
            return None;
        }
        // edits of the argument string: (byte range, new text)
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        let mut want = ff.options();
        let pinned = match simple_var(&name.value) {
            Some(var) => self.indirect_names(task, var, line, path)?,
            None if is_jinja(&name.value) => {
                self.refuse(
                    line,
                    format!("package names come from a Jinja expression `{}`; pinlock cannot rewrite it", name.value),
                );
                return None;
            }
            None => {
                let (new, pinned) = rewrite_name_list(&name.value, self.versions);
                if new != name.value {
                    edits.push((name.span.clone(), new.clone()));
                    want.insert(name.key.clone(), new);
                }
                pinned
            }
        };
        if pinned.is_empty() {
            return Some(pinned);
        }
        if let Some(s) = ff.get("state").filter(|s| s.value == "latest") {
            edits.push((s.span.clone(), "present".into()));
            want.insert("state".into(), "present".into());
        }
        let mut append = String::new();
        for key in ["allow_downgrade", "allow_change_held_packages"] {
            match ff.get(key) {
                Some(p) if truthy(&p.value) => {}
                Some(p) => edits.push((p.span.clone(), "true".into())),
                None => append.push_str(&format!(" {key}=true")),
            }
            want.insert(key.into(), "true".into());
        }
        let end = value.trim_end().len();
        if !append.is_empty() {
            edits.push((end..end, append));
        }
        edits.sort_by_key(|(r, _)| (r.start, r.end));
        let mut new_value = String::with_capacity(value.len() + 64);
        let mut at = 0;
        for (r, t) in &edits {
            new_value.push_str(&value[at..r.start]);
            new_value.push_str(t);
            at = r.end;
        }
        new_value.push_str(&value[at..]);
        // what ansible-core reads back must be exactly the intended options
        let back = parse_kv(&new_value).map(|f| f.options());
        if back.as_ref() != Ok(&want) {
            self.refuse(
                line,
                "free-form apt arguments: the pinned string would not parse back to the pinned packages (quotes or Jinja around them); not edited\nhint: write the arguments as a mapping (name: ..., state: ...)",
            );
            return None;
        }
        let raw = &self.text[args.pos.start..args.pos.end];
        let Some(offsets) = value_offsets(raw, value, style) else {
            self.refuse(
                line,
                "free-form apt arguments use YAML escapes; pinlock will not rewrite them\nhint: write the arguments as a mapping (name: ..., state: ...)",
            );
            return None;
        };
        let in_flow = matches!(task.kind, Kind::Map { flow: true, .. });
        let mut splices = Vec::new();
        for (r, t) in &edits {
            let (rs, re) = if r.is_empty() {
                let at = match r.start {
                    0 => offsets[0],
                    s => offsets[s - 1] + 1,
                };
                (at, at)
            } else {
                (offsets[r.start], offsets[r.end - 1] + 1)
            };
            if raw[rs..re] != value[r.clone()]
                || (style == ScalarStyle::Plain && in_flow && t.contains(['{', '}', '[', ']', ',']))
            {
                self.refuse(
                    line,
                    "free-form apt arguments: the pinned value cannot be written in place (it spans a line break, or a flow-style task cannot hold it unquoted)\nhint: write the arguments as a mapping (name: ..., state: ...)",
                );
                return None;
            }
            splices.push((
                args.pos.start + rs,
                args.pos.start + re,
                escape_for(style, t),
            ));
        }
        // appended options that would push the line past ansible-lint's limit go on a
        // continuation line (YAML folds the line break into the space ansible-core splits on)
        if !in_flow && !append_text_is_empty(&edits, end) {
            let new_raw = apply_relative(raw, args.pos.start, &splices);
            let head = &self.text[self.line_start(args.pos.start)..args.pos.start];
            let tail_end = self.line_end_after(args.pos.end);
            let tail = self.text[args.pos.end..tail_end].trim_end_matches(['\n', '\r']);
            let last = format!("{head}{new_raw}{tail}");
            let last = last.rsplit('\n').next().unwrap_or_default();
            if last.chars().count() > super::super::MAX_LINE {
                let indent = task
                    .entries()
                    .iter()
                    .find(|(_, v)| v.pos.start == args.pos.start)
                    .map_or(0, |(k, _)| k.pos.col)
                    + self.unit;
                if let Some(s) = splices.last_mut().filter(|s| s.0 == s.1) {
                    let rest = s.2.trim_start_matches(' ').to_string();
                    s.2 = format!("{}{}{rest}", self.eol, " ".repeat(indent));
                }
            }
        }
        for (s, e, t) in splices {
            self.push_splice(s, e, t);
        }
        self.plan.ops.push(Op::SetScalar {
            path: path.to_vec(),
            value: new_value,
        });
        let mut shown: Vec<&str> = Vec::new();
        for p in &pinned {
            if !shown.contains(&p.as_str()) {
                shown.push(p);
            }
        }
        self.edit(
            line,
            format!("pin {} (free-form arguments)", shown.join(", ")),
        );
        Some(pinned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(s: &str) -> BTreeMap<String, String> {
        parse_kv(s).unwrap().options()
    }

    fn kv(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    // Expected values are what ansible-core 2.19's parse_kv returns for the same strings.
    #[test]
    fn parses_like_ansible() {
        assert_eq!(
            opts(r#"name="docker-ce" state=latest update_cache=yes"#),
            kv(&[
                ("name", "docker-ce"),
                ("state", "latest"),
                ("update_cache", "yes")
            ])
        );
        assert_eq!(opts("name='a'"), kv(&[("name", "a")]));
        assert_eq!(
            opts(r#"name="a, b"  state=latest"#),
            kv(&[("name", "a, b"), ("state", "latest")])
        );
        assert_eq!(
            opts("name=docker-ce={{ pinlock_pins['docker-ce'] }},x state=present"),
            kv(&[
                ("name", "docker-ce={{ pinlock_pins['docker-ce'] }},x"),
                ("state", "present")
            ])
        );
        assert_eq!(
            opts("name=a\nstate=latest"),
            kv(&[("name", "a"), ("state", "latest")])
        );
        // a quote that does not span the whole value stays
        assert_eq!(opts(r#"name=a"b c"d"#), kv(&[("name", r#"a"b c"d"#)]));
        // a token without `=` is a raw parameter; a leading `=` is not a separator
        assert_eq!(
            opts("foo =x name=a"),
            kv(&[("_raw_params", "foo =x"), ("name", "a")])
        );
        // the last duplicate wins
        assert_eq!(opts("name=a name=b"), kv(&[("name", "b")]));
        assert_eq!(parse_kv("name=\"a"), Err(SplitError::Unbalanced));
        assert_eq!(parse_kv("name={{ a"), Err(SplitError::Unbalanced));
        assert_eq!(parse_kv(r"name=a\=b"), Err(SplitError::Backslash));
    }

    #[test]
    fn spans_point_at_the_values() {
        let s = r#"name="docker-ce,x"  state='latest' update_cache=yes"#;
        let f = parse_kv(s).unwrap();
        let name = f.get("name").unwrap();
        assert_eq!(&s[name.span.clone()], "docker-ce,x");
        assert_eq!(name.quote, Some('"'));
        let state = f.get("state").unwrap();
        assert_eq!(&s[state.span.clone()], "latest");
        assert_eq!(state.quote, Some('\''));
        assert_eq!(&s[f.get("update_cache").unwrap().span.clone()], "yes");
    }

    #[test]
    fn value_offsets_follow_folding() {
        let raw = "name=a\n      state=latest";
        let value = "name=a state=latest";
        let o = value_offsets(raw, value, ScalarStyle::Plain).unwrap();
        assert_eq!(&raw[o[7]..o[value.len()]], "state=latest");
        assert_eq!(o[6], raw.find(' ').unwrap());
        let o = value_offsets("'it''s'", "it's", ScalarStyle::SingleQuoted);
        assert!(o.is_none());
        let o = value_offsets("\"a=b\"", "a=b", ScalarStyle::DoubleQuoted).unwrap();
        assert_eq!(o, vec![1, 2, 3, 4]);
    }
}
