//! [`IndexBuilder`]: a [`PackageIndex`] built from text that arrives in chunks.

use super::scan::{first_boundary, last_boundary, strip_bom, Parser};
use super::{too_large, Blocks, PackageIndex, PackageRef, RawEntry};
use crate::deb822::Deb822Error;

/// Builds a [`PackageIndex`] from text that arrives in chunks (e.g. from a decompressor),
/// parsing each complete paragraph as soon as it is there, so that neither the whole text nor
/// more than one paragraph of it is held. The result, the errors and their line numbers are
/// those of [`PackageIndex::parse`] on the whole text.
///
/// Invalid UTF-8 is replaced by U+FFFD (as `String::from_utf8_lossy` would on the whole text).
pub struct IndexBuilder {
    parser: Parser,
    /// Text received but not parsed yet (an incomplete paragraph).
    pending: Vec<u8>,
    received: u64,
    started: bool,
}

impl IndexBuilder {
    /// A builder for the index named `file` in errors; `size_hint` (the text's size, when
    /// known) reserves address space so the store is never copied to grow.
    pub fn new(file: &str, size_hint: Option<u64>) -> IndexBuilder {
        let hint = size_hint.unwrap_or(0).min(u64::from(u32::MAX)) as usize;
        IndexBuilder {
            parser: Parser::new(file, 0, hint),
            pending: Vec::new(),
            received: 0,
            started: false,
        }
    }

    /// The stanzas parsed so far (a prefix of the final index).
    pub fn parsed(&self) -> PackageIndexPrefix<'_> {
        PackageIndexPrefix {
            blocks: &self.parser.blocks,
            entries: &self.parser.entries,
        }
    }

    /// Adds the next chunk of text and parses the paragraphs it completes. Returns the first
    /// syntax error; after an error the builder must not be used further.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Deb822Error> {
        self.received += chunk.len() as u64;
        too_large(self.received, &self.parser.file)?;
        // `pending[..from]` is known to hold no paragraph boundary
        let from;
        if !self.started {
            // the BOM may be split over chunks: wait for 3 bytes
            self.pending.extend_from_slice(chunk);
            if self.pending.len() < 3 && "\u{feff}".as_bytes().starts_with(&self.pending) {
                return Ok(());
            }
            self.started = true;
            let body = strip_bom(&self.pending).len();
            self.pending.drain(..self.pending.len() - body);
            from = 0;
        } else if self.pending.is_empty() {
            // common case: parse straight from the chunk, keep only its incomplete tail
            if let Some(cut) = last_boundary(chunk) {
                self.parse(&chunk[..cut], false)?;
                self.pending.extend_from_slice(&chunk[cut..]);
            } else {
                self.pending.extend_from_slice(chunk);
            }
            return Ok(());
        } else {
            // complete the pending paragraph with the chunk's first boundary, then parse the
            // rest of the chunk in place: the bulk of the text is never copied
            let from = self.pending.len().saturating_sub(2);
            let Some(first) = first_boundary(&self.pending[from..], chunk) else {
                self.pending.extend_from_slice(chunk);
                return Ok(());
            };
            let mut head = std::mem::take(&mut self.pending);
            let old = head.len();
            let take = (from + first).saturating_sub(old);
            head.extend_from_slice(&chunk[..take]);
            let cut = from + first;
            self.parse(&head[..cut], false)?;
            head.drain(..cut);
            let rest = &chunk[take..];
            if head.is_empty() {
                if let Some(last) = last_boundary(rest) {
                    self.parse(&rest[..last], false)?;
                    head.extend_from_slice(&rest[last..]);
                } else {
                    head.extend_from_slice(rest);
                }
            } else {
                head.extend_from_slice(rest);
            }
            self.pending = head;
            return Ok(());
        }
        if let Some(cut) = last_boundary(&self.pending[from..]).map(|c| c + from) {
            let pending = std::mem::take(&mut self.pending);
            let r = self.parse(&pending[..cut], false);
            self.pending = pending;
            self.pending.drain(..cut);
            r?;
        }
        Ok(())
    }

    /// Parses what is left (the end of the text ends the last paragraph) and returns the index.
    pub fn finish(mut self) -> Result<PackageIndex, Deb822Error> {
        let pending = std::mem::take(&mut self.pending);
        let body = if self.started {
            &pending[..]
        } else {
            strip_bom(&pending)
        };
        self.parse(body, true)?;
        Ok(self.parser.finish())
    }

    fn parse(&mut self, bytes: &[u8], last: bool) -> Result<(), Deb822Error> {
        // Only kept values are checked for UTF-8 (one with invalid bytes sends the piece
        // through `from_utf8_lossy`); pieces end at line ends, so converting each is the same
        // as converting the whole text.
        let mark = self.parser.mark();
        if self.parser.piece(bytes, last, false)? {
            return Ok(());
        }
        self.parser.rollback(mark);
        let text = String::from_utf8_lossy(bytes);
        let done = self.parser.piece(text.as_bytes(), last, true)?;
        debug_assert!(done, "valid UTF-8 always parses to the end");
        Ok(())
    }
}

/// The stanzas an [`IndexBuilder`] has parsed so far.
#[derive(Debug, Clone, Copy)]
pub struct PackageIndexPrefix<'a> {
    blocks: &'a Blocks,
    entries: &'a [RawEntry],
}

impl<'a> PackageIndexPrefix<'a> {
    /// Number of stanzas parsed so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no stanza has been parsed yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stanzas from the `start`-th on (0-based).
    pub fn iter_from(&self, start: usize) -> impl ExactSizeIterator<Item = PackageRef<'a>> + 'a {
        let blocks = self.blocks;
        self.entries[start.min(self.entries.len())..]
            .iter()
            .map(move |raw| PackageRef { blocks, raw })
    }
}
