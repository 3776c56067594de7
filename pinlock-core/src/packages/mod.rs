//! Packages indexes: a compact, owned store of the fields pinlock uses, built by a fast
//! streaming parser.
//!
//! This is the hot path (Debian's main index is 50 MB and 63,000 stanzas). The parser scans the
//! text field by field (line ends from per-block bit masks, field names matched by length and
//! first byte) and copies only the values of the [`PkgField`]s into the index; everything else
//! (Description, Maintainer, MD5sum, …, over half of a Debian index) is skipped without being
//! kept. The text itself is not kept, so the index can be built chunk by chunk while an index
//! is being downloaded and decompressed ([`IndexBuilder`]) and needs about 40% of the text's
//! memory. [`PackageIndex::iter`] yields [`PackageRef`]s that borrow from the index.
//!
//! The syntax accepted, the errors and their line numbers are exactly those of
//! [`crate::deb822::Scanner`] (the tests compare the two).
//!
//! Modules: `scan` is the parser (line and field scanning, paragraph boundaries), `builder`
//! feeds it chunk by chunk ([`IndexBuilder`]), `compact` is the on-disk cache format
//! ([`PackageIndex::write_compact`], [`PackageIndex::read_compact`]).

mod builder;
mod compact;
mod scan;
#[cfg(test)]
mod tests;

use crate::deb822::Deb822Error;
use scan::{eq_short, split_parts, Parser};

pub use builder::{IndexBuilder, PackageIndexPrefix};

/// A field of a Packages stanza that pinlock keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum PkgField {
    /// `Package`
    Package,
    /// `Version`
    Version,
    /// `Architecture`
    Architecture,
    /// `Source`, optionally with `(version)`
    Source,
    /// `Depends`
    Depends,
    /// `Pre-Depends`
    PreDepends,
    /// `Recommends`
    Recommends,
    /// `Suggests`
    Suggests,
    /// `Provides`
    Provides,
    /// `Conflicts`
    Conflicts,
    /// `Breaks`
    Breaks,
    /// `Replaces`
    Replaces,
    /// `Filename`
    Filename,
    /// `Size`
    Size,
    /// `SHA256`
    Sha256,
    /// `Multi-Arch`
    MultiArch,
}

const NFIELDS: usize = 16;

impl PkgField {
    /// Every field pinlock keeps, in declaration order.
    pub const ALL: [PkgField; NFIELDS] = [
        PkgField::Package,
        PkgField::Version,
        PkgField::Architecture,
        PkgField::Source,
        PkgField::Depends,
        PkgField::PreDepends,
        PkgField::Recommends,
        PkgField::Suggests,
        PkgField::Provides,
        PkgField::Conflicts,
        PkgField::Breaks,
        PkgField::Replaces,
        PkgField::Filename,
        PkgField::Size,
        PkgField::Sha256,
        PkgField::MultiArch,
    ];

    /// Maps a field name (case-insensitive, as deb822 says) to the field, if pinlock keeps it.
    #[inline]
    pub fn from_name(name: &str) -> Option<PkgField> {
        Self::from_bytes(name.as_bytes())
    }

    /// [`PkgField::from_name`] on bytes: dispatches on length and first letter, so almost every
    /// name pinlock drops is rejected without a comparison.
    #[inline]
    fn from_bytes(b: &[u8]) -> Option<PkgField> {
        let (f, want): (PkgField, &[u8]) = match (b.len(), b.first()? | 0x20) {
            (4, b's') => (PkgField::Size, b"size"),
            (6, b's') => match b[1] | 0x20 {
                b'o' => (PkgField::Source, b"source"),
                _ => (PkgField::Sha256, b"sha256"),
            },
            (6, b'b') => (PkgField::Breaks, b"breaks"),
            (7, b'p') => (PkgField::Package, b"package"),
            (7, b'v') => (PkgField::Version, b"version"),
            (7, b'd') => (PkgField::Depends, b"depends"),
            (8, b'p') => (PkgField::Provides, b"provides"),
            (8, b's') => (PkgField::Suggests, b"suggests"),
            (8, b'r') => (PkgField::Replaces, b"replaces"),
            (8, b'f') => (PkgField::Filename, b"filename"),
            (9, b'c') => (PkgField::Conflicts, b"conflicts"),
            (10, b'r') => (PkgField::Recommends, b"recommends"),
            (10, b'm') => (PkgField::MultiArch, b"multi-arch"),
            (11, b'p') => (PkgField::PreDepends, b"pre-depends"),
            (12, b'a') => (PkgField::Architecture, b"architecture"),
            _ => return None,
        };
        // indexes write names in their canonical case: one short compare; else any case
        (eq_short(b, f.name().as_bytes()) || b.eq_ignore_ascii_case(want)).then_some(f)
    }

    /// The canonical field name.
    pub fn name(self) -> &'static str {
        match self {
            PkgField::Package => "Package",
            PkgField::Version => "Version",
            PkgField::Architecture => "Architecture",
            PkgField::Source => "Source",
            PkgField::Depends => "Depends",
            PkgField::PreDepends => "Pre-Depends",
            PkgField::Recommends => "Recommends",
            PkgField::Suggests => "Suggests",
            PkgField::Provides => "Provides",
            PkgField::Conflicts => "Conflicts",
            PkgField::Breaks => "Breaks",
            PkgField::Replaces => "Replaces",
            PkgField::Filename => "Filename",
            PkgField::Size => "Size",
            PkgField::Sha256 => "SHA256",
            PkgField::MultiArch => "Multi-Arch",
        }
    }
}

/// One stanza. Its kept values are consecutive in `blocks[block]`, in [`PkgField`] order:
/// field `i` is `ends[i - 1]..ends[i]` (`start..ends[0]` for the first); empty means absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct RawEntry {
    line: u32,
    block: u32,
    start: u32,
    ends: [u32; NFIELDS],
}

/// A parsed Packages index: per stanza, the values of the [`PkgField`]s (owned, compact).
#[derive(Debug, Clone, Default)]
pub struct PackageIndex {
    /// The kept values; several blocks when parts of the index were parsed in parallel.
    blocks: Vec<String>,
    entries: Vec<RawEntry>,
}

/// One stanza of a [`PackageIndex`], borrowing from it. Two thin pointers (16 bytes): the
/// resolver keeps one per stanza.
#[derive(Debug, Clone, Copy)]
pub struct PackageRef<'a> {
    blocks: &'a Blocks,
    raw: &'a RawEntry,
}

/// The blocks of kept values, behind one thin pointer.
type Blocks = Vec<String>;

impl<'a> PackageRef<'a> {
    /// The raw value of `field` (trimmed; continuation lines kept), or `None` when absent or
    /// empty.
    #[inline]
    pub fn get(&self, field: PkgField) -> Option<&'a str> {
        let i = field as usize;
        let s = if i == 0 {
            self.raw.start
        } else {
            self.raw.ends[i - 1]
        } as usize;
        let e = self.raw.ends[i] as usize;
        (e > s).then(|| &self.blocks[self.raw.block as usize][s..e])
    }

    /// `Package`.
    pub fn name(&self) -> &'a str {
        self.get(PkgField::Package).unwrap_or_default()
    }

    /// `Version`, as written.
    pub fn version(&self) -> &'a str {
        self.get(PkgField::Version).unwrap_or_default()
    }

    /// `Architecture`.
    pub fn architecture(&self) -> &'a str {
        self.get(PkgField::Architecture).unwrap_or_default()
    }

    /// The source package name and version: `Source: name (version)` or the package's own
    /// name and version when the field is absent or has no version.
    pub fn source(&self) -> (&'a str, &'a str) {
        match self.get(PkgField::Source) {
            None => (self.name(), self.version()),
            Some(s) => match s.split_once('(') {
                Some((n, v)) => (n.trim(), v.trim_end_matches(')').trim()),
                None => (s.trim(), self.version()),
            },
        }
    }

    /// `Size` as a number, if present and numeric.
    pub fn size(&self) -> Option<u64> {
        self.get(PkgField::Size).and_then(|s| s.parse().ok())
    }

    /// 1-based line of the stanza's first field in the index.
    pub fn line(&self) -> usize {
        self.raw.line as usize
    }
}

/// Indexes of at least this size are parsed in parallel by [`PackageIndex::parse`].
const PARALLEL_MIN: usize = 1 << 20;

impl PackageIndex {
    /// Parses a whole Packages index held in memory. `file` names it in errors (a URL or
    /// path).
    ///
    /// Returns an error for malformed deb822 and for a stanza without `Package`, `Version` or
    /// `Architecture`, naming the line. Values are not validated here (the repository reader
    /// checks versions). A large index is split at stanza boundaries and the parts are parsed
    /// on all available cores (at most 8); the result, errors and line numbers are the same as
    /// parsing it in one piece.
    pub fn parse(text: String, file: &str) -> Result<PackageIndex, Deb822Error> {
        too_large(text.len() as u64, file)?;
        // a `str` is UTF-8 already: strip the BOM as text, not as bytes to validate again
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let parts = if body.len() >= PARALLEL_MIN && threads > 1 {
            split_parts(body, threads)
        } else {
            vec![body]
        };
        if parts.len() == 1 {
            let mut p = Parser::new(file, 0, body.len());
            p.piece(body.as_bytes(), true, true)?;
            return Ok(p.finish());
        }
        let results: Vec<Result<Parser, Deb822Error>> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .enumerate()
                .map(|(i, part)| {
                    s.spawn(move || {
                        let mut p = Parser::new(file, i as u32, part.len());
                        p.piece(part.as_bytes(), true, true).map(|_| p)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("parser thread panicked"))
                .collect()
        });
        let mut index = PackageIndex {
            blocks: Vec::with_capacity(results.len()),
            entries: Vec::new(),
        };
        let mut line_base = 0u32;
        for r in results {
            let mut p = r.map_err(|mut e| {
                e.line += line_base as usize;
                e
            })?;
            if index.entries.is_empty() {
                index.entries = std::mem::take(&mut p.entries);
                index.entries.reserve(body.len() / 512);
            } else {
                index.entries.extend(p.entries.iter().map(|e| RawEntry {
                    line: e.line + line_base,
                    ..*e
                }));
            }
            index.blocks.push(std::mem::take(&mut p.blocks[0]));
            line_base += p.line;
        }
        Ok(index)
    }

    /// Number of stanzas.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the index has no stanza.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stanzas in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PackageRef<'_>> + '_ {
        self.iter_from(0)
    }

    /// The stanzas from the `start`-th on (0-based), in index order; empty when `start` is
    /// past the end.
    pub fn iter_from(&self, start: usize) -> impl ExactSizeIterator<Item = PackageRef<'_>> + '_ {
        self.entries[start.min(self.entries.len())..]
            .iter()
            .map(move |raw| PackageRef {
                blocks: &self.blocks,
                raw,
            })
    }

    /// Bytes of field values kept (the index's memory is about this plus 76 bytes a stanza).
    pub fn kept_bytes(&self) -> usize {
        self.blocks.iter().map(String::len).sum()
    }
}

fn too_large(len: u64, file: &str) -> Result<(), Deb822Error> {
    if len > u64::from(u32::MAX) {
        return Err(Deb822Error {
            file: file.to_string(),
            line: 0,
            reason: "index larger than 4 GiB".into(),
        });
    }
    Ok(())
}
