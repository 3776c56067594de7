//! A zero-copy scanner for deb822 control data (Release, Packages, `.sources` files).
//!
//! The scanner never allocates: it yields field names and values as slices of the input, with
//! the 1-based line number where each field starts. Multi-line values keep their continuation
//! lines (including the newlines) so callers that need them (hash lists in Release files) can
//! split them, and callers that do not (relation fields) treat newlines as whitespace.
//!
//! Rules follow deb822(5) as dpkg and apt read it: fields are `Name: value`; a line starting
//! with a space or tab continues the previous field, also when it holds nothing else (a
//! whitespace-only line inside a paragraph does not end it: apt 2.6's `pkgTagSection::Scan`
//! ends a paragraph only at an empty line, so `A: 1\n \nB: 2` is one paragraph for apt, and
//! for pinlock); an empty line ends a paragraph, and whitespace-only lines between paragraphs
//! are skipped; lines starting with `#` are comments (in `.sources` files and accepted
//! everywhere); `\r\n` line endings are accepted.

use std::borrow::Cow;

use memchr::memchr;

/// A deb822 syntax error, with the 1-based line where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct Deb822Error {
    /// The file (or URL) the text came from, as given by the caller.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, lowercase.
    pub reason: String,
}

/// One event of the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A field: name, raw value (leading/trailing blanks trimmed, continuation lines kept) and
    /// the 1-based line of the field name.
    Field {
        /// Field name, as written (deb822 field names compare case-insensitively).
        name: &'a str,
        /// The value; may span several lines.
        value: &'a str,
        /// Line of the field name.
        line: usize,
    },
    /// The end of a paragraph that had at least one field. `line` is the first line of it.
    End {
        /// Line of the paragraph's first field.
        line: usize,
    },
}

/// Iterates over the fields and paragraph ends of deb822 text.
///
/// Returns an error event (and then stops) for a line that is neither a field, a continuation,
/// a comment nor blank.
pub struct Scanner<'a, 'f> {
    text: &'a str,
    pos: usize,
    line: usize,
    para_line: Option<usize>,
    file: &'f str,
    done: bool,
}

impl<'a, 'f> Scanner<'a, 'f> {
    /// Scans `text`; `file` names it in errors.
    pub fn new(text: &'a str, file: &'f str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Scanner {
            text,
            pos: 0,
            line: 0,
            para_line: None,
            file,
            done: false,
        }
    }

    fn error(&mut self, line: usize, reason: impl Into<String>) -> Deb822Error {
        self.done = true;
        Deb822Error {
            file: self.file.to_string(),
            line,
            reason: reason.into(),
        }
    }

    /// Returns the next line (without its terminator) and advances.
    #[inline]
    fn next_line(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let end = match memchr(b'\n', &bytes[start..]) {
            Some(i) => start + i,
            None => bytes.len(),
        };
        self.pos = end + 1;
        self.line += 1;
        let mut l = &self.text[start..end];
        if let Some(s) = l.strip_suffix('\r') {
            l = s;
        }
        Some(l)
    }

    /// True if the next line continues the current field: it starts with a blank (a
    /// whitespace-only line included, as for apt).
    #[inline]
    fn peek_is_continuation(&self) -> bool {
        let rest = &self.text.as_bytes()[self.pos.min(self.text.len())..];
        matches!(rest.first(), Some(b' ' | b'\t'))
    }
}

#[inline]
fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

impl<'a> Iterator for Scanner<'a, '_> {
    type Item = Result<Event<'a>, Deb822Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let line_start = self.pos;
            let Some(line) = self.next_line() else {
                self.done = true;
                return self.para_line.take().map(|line| Ok(Event::End { line }));
            };
            let first = line.as_bytes().first().copied();
            match first {
                None => {
                    if let Some(l) = self.para_line.take() {
                        return Some(Ok(Event::End { line: l }));
                    }
                }
                Some(b'#') => {}
                Some(b' ' | b'\t') => {
                    // only reached outside a field (continuations are read with their field):
                    // between paragraphs, or after a comment line
                    if is_blank(line) {
                        continue;
                    }
                    let n = self.line;
                    return Some(Err(
                        self.error(n, "continuation line without a field before it")
                    ));
                }
                Some(_) => {
                    let n = self.line;
                    let Some(colon) = memchr(b':', line.as_bytes()) else {
                        return Some(Err(self.error(
                            n,
                            format!("expected `Field: value`, found {:?}", truncate(line)),
                        )));
                    };
                    let name = &line[..colon];
                    if name.is_empty() || name.bytes().any(|b| b == b' ' || b == b'\t') {
                        return Some(Err(
                            self.error(n, format!("invalid field name {:?}", truncate(name)))
                        ));
                    }
                    let value_start = line_start + colon + 1;
                    let mut value_end = line_start + line.len();
                    while self.peek_is_continuation() {
                        self.next_line();
                        value_end = self.pos - 1;
                        if self.text.as_bytes().get(value_end.wrapping_sub(1)) == Some(&b'\r') {
                            value_end -= 1;
                        }
                    }
                    if self.para_line.is_none() {
                        self.para_line = Some(n);
                    }
                    let value = self.text[value_start..value_end].trim();
                    return Some(Ok(Event::Field {
                        name,
                        value,
                        line: n,
                    }));
                }
            }
        }
    }
}

pub(crate) fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Reads comments as apt's `pkgTagFile::SUPPORT_COMMENTS` does (how apt reads deb822 `.sources`
/// files): apt drops every comment line before it scans the text, so a comment between a field
/// and its continuation lines does not end the field (`A: x,\n# y,\n z` is `A: x,\n z`; apt's
/// test/libapt/tagfile_test.cc, TagFileTest.Comments). The [`Scanner`] already skips the other
/// comment lines, so only the comment lines followed (after any further comment lines) by a
/// continuation line are removed: the text is borrowed unchanged unless it has such lines, and
/// only then do the line numbers of later errors count the text without them.
pub fn strip_field_comments(text: &str) -> Cow<'_, str> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_comment = |l: &str| l.starts_with('#');
    // a comment line is dropped when the next line that is not a comment continues a field
    let mut drop = vec![false; lines.len()];
    let mut continues = false;
    for (i, l) in lines.iter().enumerate().rev() {
        if is_comment(l) {
            drop[i] = continues;
        } else {
            continues = l.starts_with([' ', '\t']);
        }
    }
    if !drop.contains(&true) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        lines
            .iter()
            .zip(&drop)
            .filter(|(_, &d)| !d)
            .map(|(l, _)| *l)
            .collect(),
    )
}

/// A paragraph collected into a list of fields (for small files: Release, `.sources`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paragraph<'a> {
    /// Line of the first field.
    pub line: usize,
    /// `(name, value, line)` in file order.
    pub fields: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> Paragraph<'a> {
    /// Returns the value of field `name` (case-insensitive), if present.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, _)| *v)
    }

    /// Returns the line where field `name` starts, or the paragraph's first line.
    pub fn line_of(&self, name: &str) -> usize {
        self.fields
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map_or(self.line, |(_, _, l)| *l)
    }
}

/// Collects all paragraphs of `text`. A field repeated inside one paragraph is an error, as in
/// dpkg.
pub fn paragraphs<'a>(text: &'a str, file: &str) -> Result<Vec<Paragraph<'a>>, Deb822Error> {
    let mut out = Vec::new();
    let mut cur = Paragraph::default();
    for ev in Scanner::new(text, file) {
        match ev? {
            Event::Field { name, value, line } => {
                if cur.fields.is_empty() {
                    cur.line = line;
                }
                if cur.get(name).is_some() {
                    return Err(Deb822Error {
                        file: file.to_string(),
                        line,
                        reason: format!("duplicate field {name:?} in one paragraph"),
                    });
                }
                cur.fields.push((name, value, line));
            }
            Event::End { .. } => out.push(std::mem::take(&mut cur)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Event<'_>> {
        Scanner::new(text, "t").map(Result::unwrap).collect()
    }

    #[test]
    fn fields_continuations_and_paragraphs() {
        let text =
            "Package: a\nDescription: x\n more\n .\n end\n\n\nPackage: b\r\nDepends: c,\r\n d\r\n";
        let ev = events(text);
        assert_eq!(
            ev,
            vec![
                Event::Field {
                    name: "Package",
                    value: "a",
                    line: 1
                },
                Event::Field {
                    name: "Description",
                    value: "x\n more\n .\n end",
                    line: 2
                },
                Event::End { line: 1 },
                Event::Field {
                    name: "Package",
                    value: "b",
                    line: 8
                },
                Event::Field {
                    name: "Depends",
                    value: "c,\r\n d",
                    line: 9
                },
                Event::End { line: 8 },
            ]
        );
    }

    /// apt 2.6 (`apt_pkg.TagFile`, checked by hand on `A: 1\n \nB: 2`) reads a whitespace-only
    /// line as a continuation: the paragraph goes on. Between paragraphs it is skipped.
    #[test]
    fn whitespace_only_line_continues_paragraph_and_comments_are_skipped() {
        let ev = events("# c\nA: 1\n \t\nB: 2\n# x\nC: 3\n\n \nD: 4\n \n");
        assert_eq!(
            ev,
            vec![
                Event::Field {
                    name: "A",
                    value: "1",
                    line: 2
                },
                Event::Field {
                    name: "B",
                    value: "2",
                    line: 4
                },
                Event::Field {
                    name: "C",
                    value: "3",
                    line: 6
                },
                Event::End { line: 2 },
                Event::Field {
                    name: "D",
                    value: "4",
                    line: 9
                },
                Event::End { line: 9 },
            ]
        );
        // a whitespace-only line inside a multi-line value is kept in it, as apt keeps it
        let ev = events("A: x\n y\n \n z\n");
        assert_eq!(
            ev[0],
            Event::Field {
                name: "A",
                value: "x\n y\n \n z",
                line: 1
            }
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = Scanner::new("A: 1\nnot a field\n", "dists/x/Packages")
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "dists/x/Packages:2: expected `Field: value`, found \"not a field\""
        );
        let err = Scanner::new(" leading\n", "f")
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.line, 1);
    }

    #[test]
    fn duplicate_fields_are_refused() {
        let err = paragraphs("A: 1\nA: 2\n", "f").unwrap_err();
        assert_eq!(err.line, 2);
        let p = paragraphs("\u{feff}A: 1\nb: 2\n\nC: 3\n", "f").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].get("B"), Some("2"));
        assert_eq!(p[1].line, 4);
    }
}
