//! Bounds on YAML text before it reaches `serde_yaml` (manifest, lockfile): alias expansion and
//! nesting depth. serde_yaml expands aliases while deserializing, so a nine-level "billion
//! laughs" of 465 bytes took over a minute of CPU; this linear pre-scan refuses it first.

use saphyr_parser::{Event, Parser};

/// Most nodes a document may expand to, counting every alias as the size of what it names.
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 128;

/// Why [`check`] refused a text, with the 1-based position where the bound was crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What bound was crossed.
    pub message: String,
}

/// Scans `text` once and returns an error when its aliases would expand to more than
/// [`MAX_EXPANDED_NODES`] nodes or it nests deeper than [`MAX_DEPTH`]. Syntax errors are not
/// reported here (`Ok(())`): the real parser reports them in its own words.
pub fn check(text: &str) -> Result<(), GuardError> {
    let mut parser = Parser::new_from_str(text);
    // expanded size of each anchor id
    let mut sizes: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    // open collections: (anchor id, total when it opened, children so far, keys if a mapping)
    let mut open: Vec<Frame> = Vec::new();
    let mut total: u64 = 0;
    while let Some(Ok((ev, span))) = parser.next_event() {
        let err = |message: String| GuardError {
            line: span.start.line(),
            col: span.start.col() + 1,
            message,
        };
        match ev {
            Event::DocumentStart(_) => {
                total = 0;
                open.clear();
            }
            Event::Scalar(value, _, anchor, _) => {
                total += 1;
                if anchor != 0 {
                    sizes.insert(anchor, 1);
                }
                if let Some(f) = open.last_mut() {
                    if !f.child(Some(&value)) {
                        return Err(err(format!(
                            "duplicate key `{value}`: only one of them would count"
                        )));
                    }
                }
            }
            Event::Alias(id) => {
                total += sizes.get(&id).copied().unwrap_or(1);
                if let Some(f) = open.last_mut() {
                    f.child(None);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                total += 1;
                let keys = matches!(ev, Event::MappingStart(..)).then(Default::default);
                open.push(Frame {
                    anchor,
                    start: total - 1,
                    children: 0,
                    keys,
                });
                if open.len() > MAX_DEPTH {
                    return Err(err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = open.pop() {
                    if f.anchor != 0 {
                        sizes.insert(f.anchor, total - f.start);
                    }
                }
                if let Some(f) = open.last_mut() {
                    f.child(None);
                }
            }
            Event::StreamEnd => break,
            _ => {}
        }
        if total > MAX_EXPANDED_NODES {
            return Err(err(format!(
                "aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)"
            )));
        }
    }
    Ok(())
}

/// An open sequence or mapping.
struct Frame {
    anchor: usize,
    start: u64,
    children: usize,
    /// Plain keys seen so far, for a mapping.
    keys: Option<std::collections::HashSet<String>>,
}

impl Frame {
    /// Counts a finished child (`scalar`: its value); false when it is a repeated mapping key.
    fn child(&mut self, scalar: Option<&str>) -> bool {
        let is_key = self.children.is_multiple_of(2);
        self.children += 1;
        match (&mut self.keys, scalar) {
            (Some(keys), Some(k)) if is_key && k != "<<" => keys.insert(k.to_string()),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_alias_bomb_and_deep_nesting() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (p, n) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            bomb.push_str(&format!(
                "{n}: &{n} [{}]\n",
                vec![format!("*{p}"); 9].join(", ")
            ));
        }
        let e = check(&bomb).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e:?}");
        assert_eq!(e.line, 7, "{e:?}");
        let deep = format!("x: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(check(&deep)
            .unwrap_err()
            .message
            .contains("deeper than 128"));
        // ordinary anchors and merge keys pass
        check("base: &b {a: 1}\nx:\n  <<: *b\n  c: [*b, *b]\n").unwrap();
        check("bad: [\n").unwrap();
        let e = check("packages:\n  a: 1\n  b: {a: 1}\n  a: 2\n").unwrap_err();
        assert_eq!((e.line, e.col), (4, 3), "{e:?}");
        assert!(e.message.contains("duplicate key `a`"), "{e:?}");
    }
}
