//! Applies byte-span edits to a text and verifies the result by re-parsing it.

use super::yaml::{self, Node, Value};

/// Replace bytes `start..end` with `text` (an insertion when `start == end`).
#[derive(Debug, Clone)]
pub(crate) struct Splice {
    pub start: usize,
    pub end: usize,
    /// Order among splices at the same position (planning order).
    pub seq: usize,
    pub text: String,
}

/// One step of a path into the parsed documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Doc(usize),
    Key(String),
    Index(usize),
}

/// The intended change to the parsed structure, used to verify the spliced text.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// The scalar at `path` becomes `value`.
    SetScalar { path: Vec<Seg>, value: String },
    /// Mapping at `path` gets `key: value` appended.
    AppendKey {
        path: Vec<Seg>,
        key: String,
        value: String,
    },
    /// Mapping at `path` gets `key: value` inserted before its entry `index` (index into the
    /// original mapping; its length appends).
    InsertEntry {
        path: Vec<Seg>,
        index: usize,
        key: String,
        value: Value<'static>,
    },
    /// Sequence at `path` gets `value` inserted at `index` (index into the original sequence).
    InsertItem {
        path: Vec<Seg>,
        index: usize,
        value: Value<'static>,
    },
    /// The value at `path` (any kind) becomes `value`.
    SetValue {
        path: Vec<Seg>,
        value: Value<'static>,
    },
    /// Item `index` of the sequence at `path` is replaced by `value`.
    ReplaceItem {
        path: Vec<Seg>,
        index: usize,
        value: Value<'static>,
    },
}

/// Applies `splices` to `text`. Fails when two splices overlap.
pub(crate) fn apply(text: &str, splices: &[Splice]) -> Result<String, String> {
    let mut sorted: Vec<&Splice> = splices.iter().collect();
    sorted.sort_by_key(|s| (s.start, s.end, s.seq));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for s in sorted {
        if s.start < at {
            return Err(format!("overlapping edits at byte {}", s.start));
        }
        out.push_str(&text[at..s.start]);
        out.push_str(&s.text);
        at = s.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

fn lookup<'v, 'a>(docs: &'v mut [Value<'a>], path: &[Seg]) -> Option<&'v mut Value<'a>> {
    let (Seg::Doc(d), rest) = path.split_first()? else {
        return None;
    };
    let mut cur = docs.get_mut(*d)?;
    for seg in rest {
        cur = match (seg, cur) {
            (Seg::Key(k), Value::Map(entries)) => entries
                .iter_mut()
                .find(|(key, _)| key.is_scalar(k))
                .map(|(_, v)| v)?,
            (Seg::Index(i), Value::Seq(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Applies `ops` to the value tree of `before`; returns it, or the first op that did not fit.
pub(crate) fn expected<'a>(before: &'a [Node], ops: &[Op]) -> Result<Vec<Value<'a>>, String> {
    let mut docs: Vec<Value> = before.iter().map(Node::value).collect();
    let mut inserts: Vec<&Op> = Vec::new();
    let mut entries_in: Vec<(usize, &Op)> = Vec::new();
    for (seq, op) in ops.iter().enumerate() {
        match op {
            Op::SetScalar { path, value } => match lookup(&mut docs, path) {
                Some(v @ Value::Scalar(_)) => *v = Value::Scalar(value.clone().into()),
                _ => return Err(format!("no scalar at {path:?}")),
            },
            Op::AppendKey { path, key, value } => match lookup(&mut docs, path) {
                // the re-parse is compared, not re-checked for duplicate keys: refuse one here
                Some(Value::Map(entries)) if entries.iter().any(|(k, _)| k.is_scalar(key)) => {
                    return Err(format!("key {key} already present at {path:?}"))
                }
                Some(Value::Map(entries)) => entries.push((
                    Value::Scalar(key.clone().into()),
                    Value::Scalar(value.clone().into()),
                )),
                _ => return Err(format!("no mapping at {path:?}")),
            },
            Op::SetValue { path, value } => match lookup(&mut docs, path) {
                Some(v) => *v = value.clone(),
                None => return Err(format!("no value at {path:?}")),
            },
            Op::ReplaceItem { path, index, value } => match lookup(&mut docs, path) {
                Some(Value::Seq(items)) if *index < items.len() => items[*index] = value.clone(),
                _ => return Err(format!("no sequence item {index} at {path:?}")),
            },
            Op::InsertItem { .. } => inserts.push(op),
            Op::InsertEntry { .. } => entries_in.push((seq, op)),
        }
    }
    // from the back (and, at one index, the later-planned first): the others' indices stay valid
    // and entries planned in order at one place come out in that order
    entries_in.sort_by_key(|&(seq, op)| match op {
        Op::InsertEntry { path, index, .. } => std::cmp::Reverse((path.len(), *index, seq)),
        _ => std::cmp::Reverse((0, 0, seq)),
    });
    for (_, op) in entries_in {
        if let Op::InsertEntry {
            path,
            index,
            key,
            value,
        } = op
        {
            match lookup(&mut docs, path) {
                Some(Value::Map(entries)) if entries.iter().any(|(k, _)| k.is_scalar(key)) => {
                    return Err(format!("key {key} already present at {path:?}"))
                }
                Some(Value::Map(entries)) if *index <= entries.len() => {
                    entries.insert(*index, (Value::Scalar(key.clone().into()), value.clone()))
                }
                _ => return Err(format!("no mapping at {path:?}")),
            }
        }
    }
    // deepest first, then from the back, so the paths and indices of the others stay valid
    inserts.sort_by_key(|op| match op {
        Op::InsertItem { path, index, .. } => std::cmp::Reverse((path.len(), *index)),
        _ => std::cmp::Reverse((0, 0)),
    });
    for op in inserts {
        if let Op::InsertItem { path, index, value } = op {
            match lookup(&mut docs, path) {
                Some(Value::Seq(items)) if *index <= items.len() => {
                    items.insert(*index, value.clone())
                }
                _ => return Err(format!("no sequence at {path:?}")),
            }
        }
    }
    Ok(docs)
}

/// Re-parses `after` and checks that its structure equals `before` with `ops` applied.
pub(crate) fn verify(before: &[Node], after: &str, ops: &[Op]) -> Result<(), String> {
    let want = expected(before, ops)?;
    // compared while parsing: no second tree of a file that may be 20 MB
    let same = yaml::matches_values(after, &want).map_err(|e| {
        format!(
            "edited text does not parse: {}:{}: {}",
            e.line, e.col, e.message
        )
    })?;
    if !same {
        return Err("edited text parses to a different structure than intended".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_rejects_an_unintended_change() {
        let before = "a: [x, y]\nb: 1\n";
        let docs = yaml::parse(before).unwrap();
        let op = Op::SetScalar {
            path: vec![Seg::Doc(0), Seg::Key("a".into()), Seg::Index(0)],
            value: "x=1".into(),
        };
        // the intended change verifies
        let ok = apply(
            before,
            &[Splice {
                start: 4,
                end: 5,
                seq: 0,
                text: "x=1".into(),
            }],
        )
        .unwrap();
        assert_eq!(ok, "a: [x=1, y]\nb: 1\n");
        verify(&docs, &ok, std::slice::from_ref(&op)).unwrap();
        // a splice that also breaks another value does not
        let bad = apply(
            before,
            &[Splice {
                start: 4,
                end: 8,
                seq: 0,
                text: "x=1, z".into(),
            }],
        )
        .unwrap();
        assert!(verify(&docs, &bad, &[op]).is_err());
        // overlapping splices are refused
        let s = |start, end| Splice {
            start,
            end,
            seq: 0,
            text: String::new(),
        };
        assert!(apply(before, &[s(0, 5), s(3, 6)]).is_err());
    }
}
