//! A span-aware YAML tree built from `saphyr-parser` events, with byte offsets.
//!
//! saphyr counts positions in characters; every position here is converted to a byte offset
//! into the parsed text so edits can be spliced into the original string.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

/// Where a node sits: byte offsets into the parsed text plus 1-based line, 0-based char column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 0-based column (characters) of `start`.
    pub col: usize,
}

/// One YAML node with its position.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// What the node is.
    pub kind: Kind,
    /// Where it is.
    pub pos: Pos,
    /// Anchor id (0 = none).
    pub anchor: usize,
    /// Whether the node has an explicit tag.
    pub tagged: bool,
}

/// Node content.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A scalar, its value and style.
    Scalar(String, ScalarStyle),
    /// A sequence; `flow` says `[...]`.
    Seq { items: Vec<Node>, flow: bool },
    /// A mapping; `flow` says `{...}`.
    Map {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
    /// An alias `*name`.
    Alias,
}

impl Node {
    /// The scalar value, if this is a scalar.
    pub fn str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// The value of key `key` in a mapping (first match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value of key `key` in a mapping (first match).
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.kind {
            Kind::Map { entries, .. } => entries.iter().find(|(k, _)| k.str() == Some(key)),
            _ => None,
        }
    }

    /// Mapping entries, or an empty slice.
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    /// Sequence items, or an empty slice.
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq { items, .. } => items,
            _ => &[],
        }
    }

    /// Byte offset just past the last character of this node's content (deepest last child).
    pub fn content_end(&self) -> usize {
        match &self.kind {
            Kind::Scalar(..) | Kind::Alias => self.pos.end,
            Kind::Seq { items, flow } => {
                if *flow {
                    self.pos.end
                } else {
                    items.last().map_or(self.pos.end, |n| n.content_end())
                }
            }
            Kind::Map { entries, flow } => {
                if *flow {
                    self.pos.end
                } else {
                    entries.last().map_or(self.pos.end, |(_, v)| {
                        v.content_end().max(entries.last().unwrap().0.pos.end)
                    })
                }
            }
        }
    }

    /// Where this node or a descendant carries an anchor or a tag, or is an alias (`None`: nowhere).
    pub fn has_anchor_or_alias(&self) -> Option<Pos> {
        if self.anchor != 0 || self.tagged || matches!(self.kind, Kind::Alias) {
            return Some(self.pos);
        }
        match &self.kind {
            Kind::Seq { items, .. } => items.iter().find_map(|n| n.has_anchor_or_alias()),
            Kind::Map { entries, .. } => entries
                .iter()
                .find_map(|(k, v)| k.has_anchor_or_alias().or_else(|| v.has_anchor_or_alias())),
            _ => None,
        }
    }

    /// A style-free view of the node's value, for before/after comparison (scalars borrowed:
    /// a copy of every string of a 20 MB playbook cost ~40 MB).
    pub fn value(&self) -> Value<'_> {
        match &self.kind {
            Kind::Scalar(s, _) => Value::Scalar(Cow::Borrowed(s)),
            Kind::Alias => Value::Alias,
            Kind::Seq { items, .. } => Value::Seq(items.iter().map(Node::value).collect()),
            Kind::Map { entries, .. } => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.value(), v.value()))
                    .collect(),
            ),
        }
    }
}

/// A parsed YAML value without positions or styles; scalars borrowed from the tree or owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// Scalar text.
    Scalar(Cow<'a, str>),
    /// Sequence.
    Seq(Vec<Value<'a>>),
    /// Mapping, in file order.
    Map(Vec<(Value<'a>, Value<'a>)>),
    /// Alias.
    Alias,
}

impl Value<'_> {
    /// The same value owning its strings.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Scalar(s) => Value::Scalar(Cow::Owned(s.into_owned())),
            Value::Seq(items) => Value::Seq(items.into_iter().map(Value::into_owned).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            ),
            Value::Alias => Value::Alias,
        }
    }

    /// Whether this is the scalar `text`.
    pub fn is_scalar(&self, text: &str) -> bool {
        matches!(self, Value::Scalar(s) if s == text)
    }
}

/// A YAML syntax error at a 1-based line and column.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// Maps character indices (saphyr) to byte offsets.
struct CharMap {
    /// byte offset of each char index; one extra entry for the end. Empty for an all-ASCII
    /// text, where char index = byte offset (8 bytes per char would make a 20 MB playbook cost
    /// 160 MB here alone).
    offsets: Vec<usize>,
    len: usize,
}

impl CharMap {
    fn new(text: &str) -> Self {
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            let mut o: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            o.push(text.len());
            o
        };
        CharMap {
            offsets,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.offsets.is_empty() {
            return char_index.min(self.len);
        }
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(*self.offsets.last().unwrap())
    }
}

/// The byte length of the quoted scalar at the start of `raw` (through its closing quote), for
/// single- and double-quoted styles; `None` for other styles or when `raw` does not hold one.
fn quoted_len(raw: &str, style: ScalarStyle) -> Option<usize> {
    let quote = match style {
        ScalarStyle::SingleQuoted => b'\'',
        ScalarStyle::DoubleQuoted => b'"',
        _ => return None,
    };
    let b = raw.as_bytes();
    if b.first() != Some(&quote) {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                // `''` inside a single-quoted scalar is an escaped quote
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(i + 1);
            }
            _ => i += 1,
        }
    }
    None
}

/// A text made readable for saphyr: tabs in the indentation of lines that continue a quoted
/// scalar (`'{{ "a"` newline TAB `+ "b" }}'`), which PyYAML (and so Ansible) accepts and saphyr
/// refuses, are replaced by spaces. Folding drops a continuation line's leading whitespace, so
/// the values are the same; the result is used only when each such line turns out to be inside
/// a quoted scalar (see [`parse`]).
struct Prepared<'a> {
    text: std::borrow::Cow<'a, str>,
    /// (byte offset in `text`, byte offset in the original) at the content start of each
    /// rewritten line, ascending: offsets between two anchors shift alike.
    anchors: Vec<(usize, usize)>,
    /// The rewritten lines: 1-based line and 1-based column of their first tab.
    lines: Vec<(usize, usize)>,
}

impl Prepared<'_> {
    fn new(text: &str) -> Prepared<'_> {
        let mut lines = Vec::new();
        let mut anchors = Vec::new();
        let mut out = String::new();
        let mut at = 0;
        let mut prev_indent = 0;
        for (i, line) in text.split('\n').enumerate() {
            let ws = line.len() - line.trim_start_matches([' ', '\t']).len();
            let lead = &line[..ws];
            if let Some(tab) = lead.find('\t') {
                if lines.is_empty() {
                    out.reserve(text.len() + 64);
                }
                let off = line.as_ptr() as usize - text.as_ptr() as usize;
                out.push_str(&text[at..off]);
                // deeper than the line before: a continuation line must be indented
                let indent = prev_indent + 1;
                out.push_str(&" ".repeat(indent));
                anchors.push((out.len(), off + ws));
                at = off + ws;
                lines.push((i + 1, tab + 1));
                prev_indent = indent;
            } else if !line.trim().is_empty() {
                prev_indent = ws;
            }
        }
        if lines.is_empty() {
            return Prepared {
                text: std::borrow::Cow::Borrowed(text),
                anchors,
                lines,
            };
        }
        out.push_str(&text[at..]);
        Prepared {
            text: std::borrow::Cow::Owned(out),
            anchors,
            lines,
        }
    }

    /// The original byte offset of byte offset `b` of the prepared text.
    fn original(&self, b: usize) -> usize {
        let i = self.anchors.partition_point(|&(t, _)| t <= b);
        match i {
            0 => b,
            i => {
                let (t, o) = self.anchors[i - 1];
                o + (b - t)
            }
        }
    }
}

/// The first of `lines` (1-based line, column) that is not a continuation line of a quoted
/// scalar of `docs` (nor, with `block`, a content line of a block scalar); `text` is the original.
fn tab_outside_scalars(
    text: &str,
    docs: &[Node],
    lines: &[(usize, usize)],
    block: bool,
) -> Option<(usize, usize)> {
    fn spans(n: &Node, text: &str, block: bool, out: &mut Vec<(usize, usize)>) {
        match &n.kind {
            Kind::Scalar(_, style)
                if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
                    || (block && matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)) =>
            {
                let extra =
                    memchr::memchr_iter(b'\n', &text.as_bytes()[n.pos.start..n.pos.end]).count();
                if extra > 0 {
                    out.push((n.pos.line + 1, n.pos.line + extra));
                }
            }
            Kind::Seq { items, .. } => items.iter().for_each(|i| spans(i, text, block, out)),
            Kind::Map { entries, .. } => entries.iter().for_each(|(k, v)| {
                spans(k, text, block, out);
                spans(v, text, block, out);
            }),
            _ => {}
        }
    }
    let mut inside = Vec::new();
    docs.iter().for_each(|d| spans(d, text, block, &mut inside));
    lines
        .iter()
        .find(|(l, _)| !inside.iter().any(|&(a, b)| a <= *l && *l <= b))
        .copied()
}

/// Parses all documents of `text` (which must not start with a BOM) into span-aware trees.
///
/// Returns one root node per document (an empty document yields a null scalar), or the first
/// syntax error. A tab in the indentation is an error (message `tab cannot be used as
/// indentation`) unless the line continues a quoted scalar, as PyYAML reads it.
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let prep = Prepared::new(text);
    let tab_error = |(line, col): (usize, usize)| SyntaxError {
        line,
        col,
        message: "tab cannot be used as indentation".into(),
    };
    if let std::borrow::Cow::Owned(_) = prep.text {
        // tabs only inside scalars that parse as they are (a block scalar's content)
        if let Ok(docs) = parse_prepared(text) {
            return match tab_outside_scalars(text, &docs, &prep.lines, true) {
                Some(at) => Err(tab_error(at)),
                None => Ok(docs),
            };
        }
    }
    let mut docs = match parse_prepared(&prep.text) {
        Ok(d) => d,
        // a tab before the error is the likelier cause
        Err(e) => {
            return Err(match prep.lines.iter().find(|(l, _)| *l <= e.line) {
                Some(&at) => tab_error(at),
                None => e,
            })
        }
    };
    if prep.lines.is_empty() {
        return Ok(docs);
    }
    fn remap(n: &mut Node, prep: &Prepared<'_>) {
        n.pos.start = prep.original(n.pos.start);
        n.pos.end = prep.original(n.pos.end);
        match &mut n.kind {
            Kind::Seq { items, .. } => items.iter_mut().for_each(|i| remap(i, prep)),
            Kind::Map { entries, .. } => entries.iter_mut().for_each(|(k, v)| {
                remap(k, prep);
                remap(v, prep);
            }),
            _ => {}
        }
    }
    docs.iter_mut().for_each(|d| remap(d, &prep));
    match tab_outside_scalars(text, &docs, &prep.lines, false) {
        Some(at) => Err(tab_error(at)),
        None => Ok(docs),
    }
}

fn parse_prepared(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let map = CharMap::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Builder> = Vec::new();
    let mut docs = Vec::new();
    let to_pos = |span: Span| Pos {
        start: map.byte(span.start.index()),
        end: map.byte(span.end.index()),
        line: span.start.line(),
        col: span.start.col(),
    };
    loop {
        let (ev, span) = match parser.next_event() {
            None => break,
            Some(Ok(x)) => x,
            Some(Err(e)) => return Err(scan_error(&e)),
        };
        let node = match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                stack.clear();
                stack.push(Builder::Doc(None));
                continue;
            }
            Event::Scalar(v, style, anchor, tag) => {
                let mut pos = to_pos(span);
                // saphyr's span of a quoted scalar can run past the closing quote over trailing
                // blanks and a comment; an edit of the scalar must not swallow them.
                if let Some(len) = quoted_len(&text[pos.start..pos.end], style) {
                    pos.end = pos.start + len;
                }
                Node {
                    kind: Kind::Scalar(v.into_owned(), style),
                    pos,
                    anchor,
                    tagged: tag.is_some(),
                }
            }
            Event::Alias(_) => Node {
                kind: Kind::Alias,
                pos: to_pos(span),
                anchor: 0,
                tagged: false,
            },
            Event::SequenceStart(anchor, tag) => {
                let pos = to_pos(span);
                let flow = text[pos.start..].starts_with('[');
                stack.push(Builder::Seq(Node {
                    kind: Kind::Seq {
                        items: Vec::new(),
                        flow,
                    },
                    pos,
                    anchor,
                    tagged: tag.is_some(),
                }));
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                let pos = to_pos(span);
                let flow = text[pos.start..].starts_with('{');
                stack.push(Builder::Map(
                    Node {
                        kind: Kind::Map {
                            entries: Vec::new(),
                            flow,
                        },
                        pos,
                        anchor,
                        tagged: tag.is_some(),
                    },
                    None,
                ));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = to_pos(span).end;
                match stack.pop() {
                    Some(Builder::Seq(mut n)) | Some(Builder::Map(mut n, _)) => {
                        n.pos.end = end.max(n.pos.end);
                        // growth slack of a 400,000-entry mapping is ~20 MB
                        match &mut n.kind {
                            Kind::Seq { items, .. } => items.shrink_to_fit(),
                            Kind::Map { entries, .. } => entries.shrink_to_fit(),
                            _ => {}
                        }
                        if let Some(err) = duplicate_key(&n) {
                            return Err(err);
                        }
                        n
                    }
                    _ => {
                        return Err(SyntaxError {
                            line: span.start.line(),
                            col: span.start.col() + 1,
                            message: "unbalanced collection end".into(),
                        })
                    }
                }
            }
        };
        // attach `node` to its parent
        match stack.last_mut() {
            Some(Builder::Doc(slot)) => {
                *slot = Some(node);
                if let Some(Builder::Doc(Some(n))) = stack.pop() {
                    docs.push(n);
                }
            }
            Some(Builder::Seq(parent)) => {
                if let Kind::Seq { items, .. } = &mut parent.kind {
                    items.push(node);
                }
            }
            Some(Builder::Map(parent, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if let Kind::Map { entries, .. } = &mut parent.kind {
                        entries.push((key, node));
                    }
                }
            },
            None => {}
        }
    }
    Ok(docs)
}

/// Parses `text` and compares its documents with `want` as they stream by, without building a
/// tree: `Ok(true)` when the text holds exactly these documents (values compared as
/// [`Node::value`] would give them), `Ok(false)` at the first difference, `Err` for a syntax
/// error. Memory is bounded by the nesting depth, not the size of the text (building a second
/// tree to compare cost ~190 MB for a 20 MB playbook).
pub(crate) fn matches_values(text: &str, want: &[Value<'_>]) -> Result<bool, SyntaxError> {
    // the values of a prepared text are the original's (the check of its tab lines is
    // parse()'s, done on the original)
    let prep = Prepared::new(text);
    let mut events = Events {
        parser: Parser::new_from_str(&prep.text),
        peeked: None,
    };
    let mut docs = want.iter();
    loop {
        match events.next()? {
            None | Some(Event::StreamEnd) => return Ok(docs.next().is_none()),
            Some(Event::DocumentStart(_)) => {
                // a document without a node (parse() skips it) has nothing to compare
                if matches!(events.peek()?, Some(Event::DocumentEnd)) {
                    continue;
                }
                let Some(expected) = docs.next() else {
                    return Ok(false);
                };
                let first = events.next()?;
                if !match_node(&mut events, first, expected)? {
                    return Ok(false);
                }
            }
            Some(_) => {}
        }
    }
}

/// saphyr events with one event of lookahead.
struct Events<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    peeked: Option<Event<'a>>,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Result<Option<Event<'a>>, SyntaxError> {
        if let Some(e) = self.peeked.take() {
            return Ok(Some(e));
        }
        self.pull()
    }

    fn peek(&mut self) -> Result<Option<&Event<'a>>, SyntaxError> {
        if self.peeked.is_none() {
            self.peeked = self.pull()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn pull(&mut self) -> Result<Option<Event<'a>>, SyntaxError> {
        match self.parser.next_event() {
            None => Ok(None),
            Some(Ok((ev, _))) => Ok(Some(ev)),
            Some(Err(e)) => Err(scan_error(&e)),
        }
    }
}

/// Compares the node that starts with `first` (and the events after it) with `want`.
fn match_node<'a>(
    events: &mut Events<'a>,
    first: Option<Event<'a>>,
    want: &Value<'_>,
) -> Result<bool, SyntaxError> {
    match (first, want) {
        (Some(Event::Scalar(v, ..)), Value::Scalar(w)) => Ok(v.as_ref() == w.as_ref()),
        (Some(Event::Alias(_)), Value::Alias) => Ok(true),
        (Some(Event::SequenceStart(..)), Value::Seq(items)) => {
            for item in items {
                let ev = events.next()?;
                if matches!(ev, Some(Event::SequenceEnd)) || !match_node(events, ev, item)? {
                    return Ok(false);
                }
            }
            Ok(matches!(events.next()?, Some(Event::SequenceEnd)))
        }
        (Some(Event::MappingStart(..)), Value::Map(entries)) => {
            for (k, v) in entries {
                let ev = events.next()?;
                if matches!(ev, Some(Event::MappingEnd)) || !match_node(events, ev, k)? {
                    return Ok(false);
                }
                let ev = events.next()?;
                if !match_node(events, ev, v)? {
                    return Ok(false);
                }
            }
            Ok(matches!(events.next()?, Some(Event::MappingEnd)))
        }
        _ => Ok(false),
    }
}

/// A mapping that has the same plain key twice: Ansible warns and silently keeps the last
/// value, so `name: a` then `name: b` in one task would be pinned by one reading and installed
/// by the other. Returns the error at the second occurrence. O(n log n) in the mapping's size.
fn duplicate_key(map: &Node) -> Option<SyntaxError> {
    let Kind::Map { entries, .. } = &map.kind else {
        return None;
    };
    let mut keys: Vec<(&str, &Pos)> = entries
        .iter()
        .filter_map(|(k, _)| match &k.kind {
            Kind::Scalar(v, _) if v != "<<" => Some((v.as_str(), &k.pos)),
            _ => None,
        })
        .collect();
    keys.sort_by_key(|(k, pos)| (*k, pos.start));
    keys.windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| (w[0], w[1]))
        .min_by_key(|(_, second)| second.1.start)
        .map(|(first, second)| SyntaxError {
            line: second.1.line,
            col: second.1.col + 1,
            message: format!(
                "duplicate key `{}` (first at line {}): Ansible would silently use the last one",
                second.0, first.1.line
            ),
        })
}

enum Builder {
    Doc(Option<Node>),
    Seq(Node),
    Map(Node, Option<Node>),
}

fn scan_error(e: &ScanError) -> SyntaxError {
    SyntaxError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offsets_after_non_ascii() {
        let text = "# café ☕\n- name: \"ä\"\n  apt:\n    name: [\"docker-ce\", x]\n";
        let docs = parse(text).unwrap();
        let task = &docs[0].items()[0];
        let name = task.get("apt").unwrap().get("name").unwrap();
        let first = &name.items()[0];
        assert_eq!(&text[first.pos.start..first.pos.end], "\"docker-ce\"");
        assert_eq!(first.pos.line, 4);
        assert_eq!(&text[name.pos.start..name.pos.end], "[\"docker-ce\", x]");
        let title = task.get("name").unwrap();
        assert_eq!(&text[title.pos.start..title.pos.end], "\"ä\"");
    }

    #[test]
    fn block_map_positions() {
        let text = "- name: a\n  apt:\n    name:\n      - x\n    state: latest\n";
        let docs = parse(text).unwrap();
        let task = &docs[0].items()[0];
        let args = task.get("apt").unwrap();
        assert_eq!(args.entries()[0].0.pos.col, 4);
        assert_eq!(&text[args.content_end() - 6..args.content_end()], "latest");
        assert_eq!(task.entries()[0].0.pos.col, 2);
    }

    #[test]
    fn duplicate_keys_refused() {
        let e = parse("- apt:\n    name: a\n    state: present\n    name: b\n").unwrap_err();
        assert_eq!((e.line, e.col), (4, 5), "{}", e.message);
        assert!(
            e.message.contains("duplicate key `name` (first at line 2)"),
            "{}",
            e.message
        );
        // the same key in sibling mappings, and merge keys, are fine
        parse("- &x {name: a}\n- {name: b}\n- <<: *x\n  <<: *x\n  c: 1\n").unwrap();
    }

    #[test]
    fn streamed_comparison_agrees_with_the_tree() {
        let texts = [
            "- a: [x, y]\n  b: {c: 1}\n",
            "---\na: 1\n---\nb: &k [2]\nc: *k\n",
            "a:\n  - 1\n  - 2\n",
            "",
        ];
        for t in texts {
            let docs = parse(t).unwrap();
            let want: Vec<Value> = docs.iter().map(Node::value).collect();
            assert!(matches_values(t, &want).unwrap(), "{t:?}");
        }
        let docs = parse(texts[0]).unwrap();
        let want: Vec<Value> = docs.iter().map(Node::value).collect();
        for other in [
            "- a: [x, z]\n  b: {c: 1}\n",
            "- a: [x, y, z]\n  b: {c: 1}\n",
            "- a: [x]\n  b: {c: 1}\n",
            "- a: [x, y]\n  b: {c: 1, d: 2}\n",
            "- a: [x, y]\n",
            "- a: [x, y]\n  b: {c: 1}\n---\nmore\n",
            "- a: [x, y]\n  b: [c, 1]\n",
        ] {
            assert!(!matches_values(other, &want).unwrap(), "{other:?}");
        }
        // a syntax error is reported when the text matches up to it
        assert!(matches_values("- a: [x, y\n", &want).is_err());
    }

    #[test]
    fn tab_continuing_a_quoted_scalar_is_read_as_pyyaml_reads_it() {
        // values as PyYAML (yaml.safe_load) gives them
        for (text, want) in [
            (
                "- debug:\n    msg: '{{ \"a\"\n\t+ \"b\" }}'\n  x: 1\n",
                "{{ \"a\" + \"b\" }}",
            ),
            (
                "- debug:\n    msg: \"{{ 'a'\n \t\t+ 'b' }}\"\n",
                "{{ 'a' + 'b' }}",
            ),
        ] {
            let docs = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            let msg = docs[0].items()[0].get("debug").unwrap().get("msg").unwrap();
            assert_eq!(msg.str(), Some(want));
            // positions are the original text's
            assert!(
                text[msg.pos.start..msg.pos.end].ends_with("}}'")
                    || text[msg.pos.start..msg.pos.end].ends_with("}}\"")
            );
            let want_values: Vec<Value> = docs.iter().map(Node::value).collect();
            assert!(matches_values(text, &want_values).unwrap());
        }
        if let Some(x) = parse("- debug:\n    msg: '{{ \"a\"\n\t+ \"b\" }}'\n  x: 1\n").unwrap()[0]
            .items()[0]
            .get("x")
        {
            assert_eq!(x.pos.line, 4);
        }
        // a tab indenting structure stays an error, at the tab
        let e = parse("a:\n\tb: 1\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 1), "{}", e.message);
        assert!(e.message.contains("tab"));
        // (when the text does not parse, the first tab line before the error is named)
        let e = parse("- a: 1\n  b: '{{ x\n\t}}'\n\t- c\n").unwrap_err();
        assert!(e.line >= 3 && e.message.contains("tab"), "{}", e.message);
        // a tab in a block scalar's content is content
        let docs = parse("a: |\n  x\n  \ty\n").unwrap();
        assert_eq!(docs[0].get("a").unwrap().str(), Some("x\n\ty\n"));
    }
}

#[cfg(test)]
mod empty_value_tests {
    use super::*;

    #[test]
    fn empty_value_span() {
        let text = "- apt:\n    name: x\n    update_cache:\n  become: true\n";
        let docs = parse(text).unwrap();
        let args = docs[0].items()[0].get("apt").unwrap();
        let v = &args.entries()[1].1;
        assert_eq!(v.pos.line, 3);
        assert!(args.content_end() <= text.find("  become").unwrap());
    }
}
