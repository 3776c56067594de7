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
//! [`crate::deb822::Scanner`] (tests below compare the two).

use std::io::{Read, Write};

use memchr::memmem;

use crate::deb822::Deb822Error;

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

    /// Writes the index in pinlock's compact cache format (read back by
    /// [`PackageIndex::read_compact`]); `text_size` is the size of the text it was parsed from,
    /// stored so a reader can check it. Returns the bytes written.
    pub fn write_compact(&self, text_size: u64, w: impl Write) -> std::io::Result<u64> {
        let mut w = ChecksumWriter {
            inner: std::io::BufWriter::with_capacity(1 << 16, w),
            sum: Checksum::default(),
            written: 0,
        };
        let mut block_base = Vec::with_capacity(self.blocks.len());
        let mut total = 0u64;
        for b in &self.blocks {
            block_base.push(total);
            w.write_all(b.as_bytes())?;
            total += b.len() as u64;
        }
        if total > u64::from(u32::MAX) {
            return Err(std::io::Error::other(
                "index too large for the cache format",
            ));
        }
        let mut rec = [0u8; ENTRY_BYTES];
        for e in &self.entries {
            let base = block_base[e.block as usize] as u32;
            rec[0..4].copy_from_slice(&e.line.to_le_bytes());
            rec[4..8].copy_from_slice(&(e.start + base).to_le_bytes());
            for (i, end) in e.ends.iter().enumerate() {
                rec[8 + 4 * i..12 + 4 * i].copy_from_slice(&(end + base).to_le_bytes());
            }
            w.write_all(&rec)?;
        }
        w.write_all(COMPACT_MAGIC)?;
        w.write_all(&(self.entries.len() as u64).to_le_bytes())?;
        w.write_all(&total.to_le_bytes())?;
        w.write_all(&text_size.to_le_bytes())?;
        let sum = w.sum.finish();
        w.write_all(&sum.to_le_bytes())?;
        w.inner.flush()?;
        Ok(w.written)
    }

    /// Reads an index written by [`PackageIndex::write_compact`]. Returns the index and the
    /// text size stored with it, or an `InvalidData` error when the data is not such an index
    /// (another format version, truncated, corrupt: checksum, offsets and UTF-8 are checked).
    pub fn read_compact(mut r: impl Read) -> std::io::Result<(PackageIndex, u64)> {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes)?;
        let bad = |what: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a pinlock index cache file: {what}"),
            )
        };
        let n = bytes.len();
        if n < TRAILER_BYTES {
            return Err(bad("too short"));
        }
        let t = n - TRAILER_BYTES;
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        if &bytes[t..t + COMPACT_MAGIC.len()] != COMPACT_MAGIC {
            return Err(bad("wrong magic or format version"));
        }
        let m = t + COMPACT_MAGIC.len();
        let (count, data_len, text_size, sum) =
            (u64_at(m), u64_at(m + 8), u64_at(m + 16), u64_at(m + 24));
        let mut c = Checksum::default();
        c.update(&bytes[..n - 8]);
        if c.finish() != sum {
            return Err(bad("checksum mismatch"));
        }
        let expected = count
            .checked_mul(ENTRY_BYTES as u64)
            .and_then(|e| e.checked_add(data_len))
            .filter(|&e| e == t as u64 && data_len <= u64::from(u32::MAX));
        if expected.is_none() {
            return Err(bad("inconsistent sizes"));
        }
        let data_len = data_len as usize;
        let data = std::str::from_utf8(&bytes[..data_len]).map_err(|_| bad("invalid UTF-8"))?;
        let mut entries = Vec::with_capacity(count as usize);
        for rec in bytes[data_len..t].chunks_exact(ENTRY_BYTES) {
            let u =
                |i: usize| u32::from_le_bytes(rec[4 * i..4 * i + 4].try_into().expect("4 bytes"));
            let mut e = RawEntry {
                line: u(0),
                block: 0,
                start: u(1),
                ends: [0; NFIELDS],
            };
            let mut prev = e.start;
            for (i, end) in e.ends.iter_mut().enumerate() {
                *end = u(2 + i);
                if *end < prev || !data.is_char_boundary(*end as usize) {
                    return Err(bad("field offsets out of order"));
                }
                prev = *end;
            }
            if e.line == 0 || !data.is_char_boundary(e.start as usize) {
                return Err(bad("invalid stanza record"));
            }
            entries.push(e);
        }
        bytes.truncate(data_len);
        bytes.shrink_to_fit();
        let data = String::from_utf8(bytes).expect("checked above");
        Ok((
            PackageIndex {
                blocks: vec![data],
                entries,
            },
            text_size,
        ))
    }
}

const ENTRY_BYTES: usize = 8 + 4 * NFIELDS;
/// Magic and format version of the compact cache format; change the version whenever the
/// format or the set of kept fields changes.
const COMPACT_MAGIC: &[u8; 16] = b"pinlock-index\0\0\x01";
const TRAILER_BYTES: usize = 16 + 8 * 4;

/// A fast non-cryptographic checksum (multiply-rotate over 8-byte words) that detects torn or
/// damaged cache files; the cache holds data that was verified before it was written.
#[derive(Default, Clone)]
struct Checksum {
    h: u64,
    buf: [u8; 8],
    nbuf: usize,
    len: u64,
}

impl Checksum {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    #[inline]
    fn word(&mut self, w: u64) {
        self.h = (self.h.rotate_left(23) ^ w).wrapping_mul(Self::K);
    }

    fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.nbuf > 0 {
            let take = (8 - self.nbuf).min(data.len());
            self.buf[self.nbuf..self.nbuf + take].copy_from_slice(&data[..take]);
            self.nbuf += take;
            data = &data[take..];
            if self.nbuf < 8 {
                return;
            }
            self.word(u64::from_le_bytes(self.buf));
            self.nbuf = 0;
        }
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.nbuf = rest.len();
    }

    fn finish(&self) -> u64 {
        let mut s = self.clone();
        let mut last = [0u8; 8];
        last[..s.nbuf].copy_from_slice(&s.buf[..s.nbuf]);
        s.word(u64::from_le_bytes(last));
        s.word(s.len);
        s.h
    }
}

struct ChecksumWriter<W: Write> {
    inner: std::io::BufWriter<W>,
    sum: Checksum,
    written: u64,
}

impl<W: Write> ChecksumWriter<W> {
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.sum.update(b);
        self.written += b.len() as u64;
        self.inner.write_all(b)
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

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix("\u{feff}".as_bytes()).unwrap_or(b)
}

/// The end of the last paragraph boundary (an empty line, LF or CRLF) in `b`: the text before
/// it holds only complete paragraphs. `None` when `b` has no empty line.
fn last_boundary(b: &[u8]) -> Option<usize> {
    if let Some(i) = memmem::rfind(b, b"\n\n") {
        return Some(i + 2);
    }
    memmem::rfind(b, b"\n\r\n").map(|i| i + 3)
}

/// The end of the first paragraph boundary in `tail` followed by `chunk`, as an offset into
/// `tail`; only boundaries that end inside `chunk` count (`tail` was searched before).
fn first_boundary(tail: &[u8], chunk: &[u8]) -> Option<usize> {
    // a boundary straddling the two: at most 2 bytes of `tail` and 2 of `chunk`
    let mut join = [0u8; 4];
    let t = &tail[tail.len().saturating_sub(2)..];
    let c = &chunk[..chunk.len().min(2)];
    join[..t.len()].copy_from_slice(t);
    join[t.len()..t.len() + c.len()].copy_from_slice(c);
    let base = tail.len() - t.len();
    let j = &join[..t.len() + c.len()];
    let in_join = next_boundary(j, 0).filter(|&e| e > t.len());
    let in_chunk = next_boundary(chunk, 0);
    match (in_join, in_chunk) {
        (Some(a), Some(b)) => Some((base + a).min(tail.len() + b)),
        (Some(a), None) => Some(base + a),
        (None, b) => b.map(|b| tail.len() + b),
    }
}

/// The end of the first paragraph boundary in `b` at or after `from`.
fn next_boundary(b: &[u8], from: usize) -> Option<usize> {
    let lf = memmem::find(&b[from..], b"\n\n").map(|i| from + i + 2);
    let crlf = || memmem::find(&b[from..], b"\n\r\n").map(|i| from + i + 3);
    lf.or_else(crlf)
}

/// Splits `text` into up to `n` parts of about equal size that each end at a paragraph
/// boundary (or the end of the text).
fn split_parts(text: &str, n: usize) -> Vec<&str> {
    let b = text.as_bytes();
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (b.len() * k / n).max(start);
        match next_boundary(b, target) {
            Some(cut) if cut < b.len() => {
                parts.push(&text[start..cut]);
                start = cut;
            }
            _ => break,
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `a == b` for slices of 4 to 16 bytes of the same length, in two overlapping loads each.
#[inline(always)]
fn eq_short(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert!(n == b.len() && (4..=16).contains(&n));
    if n >= 8 {
        word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
    } else {
        let w4 = |x: &[u8], at: usize| u32::from_le_bytes(x[at..at + 4].try_into().expect("4"));
        w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4)
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Marks (high bit) the bytes of `w` that equal `c`. Exact for the lowest marked byte, and a
/// byte is only marked wrongly above a correctly marked one, so "any marked below k" is exact.
#[inline(always)]
fn eq_bytes(w: u64, c: u8) -> u64 {
    let v = w ^ (LO * u64::from(c));
    v.wrapping_sub(LO) & !v & HI
}

#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Finds line ends with bit masks: for each 64-byte block of the text, one bit per byte for
/// `\n` and one for a non-ASCII byte, computed once (a few vector instructions a block) as the
/// parser moves forward. A line end is then a shift and a count of trailing zeros instead of a
/// search per line, and the scanner notes for free whether the bytes it passed were all ASCII
/// (so UTF-8 only needs checking where they were not).
struct Lines<'a> {
    b: &'a [u8],
    /// The block whose masks are loaded (`usize::MAX`: none yet).
    blk: usize,
    nl: u64,
    hi: u64,
    /// Set when a byte passed by [`Lines::end`] since it was last cleared is not ASCII.
    non_ascii: bool,
}

impl<'a> Lines<'a> {
    fn new(b: &'a [u8]) -> Self {
        Lines {
            b,
            blk: usize::MAX,
            nl: 0,
            hi: 0,
            non_ascii: false,
        }
    }

    #[inline(always)]
    fn load(&mut self, blk: usize) {
        let at = blk * 64;
        (self.nl, self.hi) = match self.b.get(at..at + 64) {
            Some(c) => block_masks(c.try_into().expect("64 bytes")),
            None => {
                // the last, partial block: zero padding is neither `\n` nor non-ASCII
                let mut pad = [0u8; 64];
                let rest = self.b.get(at..).unwrap_or_default();
                pad[..rest.len()].copy_from_slice(rest);
                block_masks(&pad)
            }
        };
        self.blk = blk;
    }

    /// The end of the line containing `from`: the index of its `\n`, or the text's length.
    /// Calls should move forward (each block's masks are computed once), but any order works.
    #[inline(always)]
    fn end(&mut self, from: usize) -> usize {
        if from >= self.b.len() {
            return self.b.len();
        }
        let mut blk = from >> 6;
        if blk != self.blk {
            self.load(blk);
        }
        let keep = !0u64 << (from & 63);
        let (mut m, mut h) = (self.nl & keep, self.hi & keep);
        while m == 0 {
            self.non_ascii |= h != 0;
            blk += 1;
            if blk * 64 >= self.b.len() {
                return self.b.len();
            }
            self.load(blk);
            (m, h) = (self.nl, self.hi);
        }
        let t = m.trailing_zeros();
        self.non_ascii |= h & ((1u64 << t) - 1) != 0;
        blk * 64 + t as usize
    }
}

/// The `\n` mask and the non-ASCII mask of a 64-byte block (bit `i` for byte `i`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_masks(c: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let (mut nl, mut hi) = (0u64, 0u64);
    // SAFETY: SSE2 is part of the x86_64 baseline, so these instructions always exist; each
    // unaligned load reads 16 bytes at offsets 0, 16, 32, 48 of the 64-byte array `c`.
    unsafe {
        let lf = _mm_set1_epi8(b'\n' as i8);
        for k in 0..4 {
            let v = _mm_loadu_si128(c.as_ptr().add(16 * k).cast());
            nl |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) as u16) << (16 * k);
            hi |= u64::from(_mm_movemask_epi8(v) as u16) << (16 * k);
        }
    }
    (nl, hi)
}

/// The `\n` mask and the non-ASCII mask of a 64-byte block (bit `i` for byte `i`).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_masks(c: &[u8; 64]) -> (u64, u64) {
    block_masks_swar(c)
}

/// [`block_masks`] a word at a time, without vector instructions (other architectures; tests
/// compare the two).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block_masks_swar(c: &[u8; 64]) -> (u64, u64) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // the high bit of each byte, moved to bit `i` for byte `i` of the word
    let gather = |m: u64| (m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
    let (mut nl, mut hi) = (0u64, 0u64);
    for k in 0..8 {
        let w = word(c, 8 * k);
        let x = w ^ (LO * u64::from(b'\n'));
        // exact: the high bit is set exactly for the zero bytes of `x` (no borrows)
        let zero = !(((x & LOW7) + LOW7) | x) & HI;
        nl |= gather(zero) << (8 * k);
        hi |= gather(w & HI) << (8 * k);
    }
    (nl, hi)
}

/// Scans a field name from `p`: returns the index of the first `:` or `\n` (or the text's
/// length) and whether a blank (space, tab) comes before it. A word at a time.
#[inline]
fn scan_name(b: &[u8], p: usize) -> (usize, bool) {
    let mut q = p;
    let mut blank = false;
    while q + 8 <= b.len() {
        let w = word(b, q);
        let stop = eq_bytes(w, b':') | eq_bytes(w, b'\n');
        let bl = eq_bytes(w, b' ') | eq_bytes(w, b'\t');
        if stop != 0 {
            let i = stop.trailing_zeros() / 8;
            let below = if i == 0 {
                0
            } else {
                bl & ((1u64 << (i * 8)) - 1)
            };
            return (q + i as usize, blank || below != 0);
        }
        blank |= bl != 0;
        q += 8;
    }
    while q < b.len() && b[q] != b':' && b[q] != b'\n' {
        blank |= b[q] == b' ' || b[q] == b'\t';
        q += 1;
    }
    (q, blank)
}

/// `end` without a `\r` just before it (the line terminator of a CRLF line).
#[inline]
fn strip_cr(b: &[u8], start: usize, end: usize) -> usize {
    if end > start && b[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// `text[s..e].trim()` as offsets: ASCII blanks are stripped byte-wise; a value that then
/// starts or ends with a non-ASCII byte goes through `str::trim` (Unicode white space).
/// `None` when that value is not valid UTF-8 (`s..e` start and end next to ASCII bytes).
#[inline]
fn trim(b: &[u8], mut s: usize, mut e: usize) -> Option<(usize, usize)> {
    while s < e && matches!(b[s], b' ' | b'\t'..=b'\r') {
        s += 1;
    }
    while e > s && matches!(b[e - 1], b' ' | b'\t'..=b'\r') {
        e -= 1;
    }
    if s < e && (b[s] >= 0x80 || b[e - 1] >= 0x80) {
        let v = std::str::from_utf8(&b[s..e]).ok()?;
        let t = v.trim();
        let off = t.as_ptr() as usize - v.as_ptr() as usize;
        return Some((s + off, s + off + t.len()));
    }
    Some((s, e))
}

/// Asks the kernel to back the fresh allocation `ptr..ptr + len` with transparent huge pages
/// when it is large (the store of a big index): filling 21 MB of 4 KiB pages costs over 5,000
/// page faults, a measurable share of a parse; with 2 MiB pages it costs about ten. Advice only:
/// the contents and the memory used do not change (pages are still only backed when touched),
/// and where the kernel does not do huge pages this does nothing.
fn advise_huge_pages(ptr: *const u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const MIN: usize = 4 << 20;
        let (start, end) = ((ptr as usize + 4095) & !4095, (ptr as usize + len) & !4095);
        if len >= MIN && end > start {
            // SAFETY: `start..end` lies inside an allocation this module owns (aligned inwards
            // to pages); MADV_HUGEPAGE changes how the kernel backs it, never its contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, len);
}

/// Values up to this length are copied into the store as a fixed-size block.
const SHORT: usize = 32;

/// A position of a [`Parser`] to roll back to.
#[derive(Debug, Clone, Copy)]
struct Mark {
    data: usize,
    entries: usize,
    line: u32,
}

/// The parser: appends the kept values of complete paragraphs to one block.
struct Parser {
    file: String,
    block: u32,
    /// One block, the one being filled.
    blocks: Blocks,
    entries: Vec<RawEntry>,
    /// Lines consumed so far.
    line: u32,
}

impl Parser {
    fn new(file: &str, block: u32, text_len: usize) -> Self {
        // Capacity is only reserved address space: pages are touched as they are written, so
        // over-reserving costs no memory and the block is never copied to grow.
        let data = String::with_capacity(text_len);
        let entries: Vec<RawEntry> = Vec::with_capacity(text_len / 512 + 1);
        advise_huge_pages(data.as_ptr(), data.capacity());
        advise_huge_pages(
            entries.as_ptr().cast(),
            entries.capacity() * std::mem::size_of::<RawEntry>(),
        );
        Parser {
            file: file.to_string(),
            block,
            blocks: vec![data],
            entries,
            line: 0,
        }
    }

    fn error(&self, line: u32, reason: String) -> Deb822Error {
        Deb822Error {
            file: self.file.clone(),
            line: line as usize,
            reason,
        }
    }

    fn finish(mut self) -> PackageIndex {
        self.blocks[0].shrink_to_fit();
        self.entries.shrink_to_fit();
        PackageIndex {
            blocks: self.blocks,
            entries: self.entries,
        }
    }

    /// Parses `b`, which holds whole paragraphs: it ends with an empty line, or `last` is set
    /// (the end of the index ends its last paragraph).
    ///
    /// `utf8` says `b` is known to be valid UTF-8. Otherwise every kept value that is not all
    /// ASCII is checked, and on the first one that is not valid UTF-8 this stops and returns
    /// `Ok(false)`, having appended some stanzas: the caller rolls back to a [`Mark`] and parses
    /// the lossily converted text. Bytes that are not kept need no check: they only matter as
    /// ASCII (structure) or in error messages, which convert lossily.
    fn piece(&mut self, b: &[u8], last: bool, utf8: bool) -> Result<bool, Deb822Error> {
        let n = b.len();
        let mut lines = Lines::new(b);
        let mut p = 0;
        let mut line = self.line;
        let lossy = |s: usize, e: usize| String::from_utf8_lossy(&b[s..e]);
        // the current paragraph: line of its first field (0: none) and kept value spans
        let mut para = 0u32;
        let mut spans = [(0usize, 0usize); NFIELDS];
        while p < n {
            line += 1;
            match b[p] {
                b'\n' => {
                    if para != 0 {
                        self.close(b, para, &mut spans)?;
                        para = 0;
                    }
                    p += 1;
                }
                b'\r' if p + 1 == n || b[p + 1] == b'\n' => {
                    if para != 0 {
                        self.close(b, para, &mut spans)?;
                        para = 0;
                    }
                    p += 2;
                }
                b'#' => p = lines.end(p) + 1,
                b' ' | b'\t' => {
                    // only reached outside a field (a field reads its continuation lines,
                    // whitespace-only ones included): between paragraphs, or after a comment
                    let e = lines.end(p);
                    let l = &b[p..strip_cr(b, p, e)];
                    if !l.iter().all(|&c| c == b' ' || c == b'\t') {
                        let msg = "continuation line without a field before it".to_string();
                        return Err(self.error(line, msg));
                    }
                    p = e + 1;
                }
                _ => {
                    // `Name:`; the line's end is found at once, independently of the name
                    lines.non_ascii = false;
                    let e = lines.end(p);
                    let (q, blank_in_name) = scan_name(b, p);
                    if q == n || b[q] == b'\n' {
                        let l = lossy(p, strip_cr(b, p, q));
                        let reason = format!(
                            "expected `Field: value`, found {:?}",
                            crate::deb822::truncate(&l)
                        );
                        return Err(self.error(line, reason));
                    }
                    if q == p || blank_in_name {
                        let reason = format!(
                            "invalid field name {:?}",
                            crate::deb822::truncate(&lossy(p, q))
                        );
                        return Err(self.error(line, reason));
                    }
                    if para == 0 {
                        para = line;
                    }
                    let vs = q + 1;
                    debug_assert!(vs <= e && e == lines.end(vs));
                    let mut ve = strip_cr(b, vs, e);
                    let mut next = e + 1;
                    // a line starting with a blank continues the field, also when it is
                    // blank throughout: apt ends a paragraph only at an empty line
                    while next < n && matches!(b[next], b' ' | b'\t') {
                        line += 1;
                        let e = lines.end(next);
                        ve = strip_cr(b, next, e);
                        next = e + 1;
                    }
                    if let Some(f) = PkgField::from_bytes(&b[p..q]) {
                        let valid =
                            utf8 || !lines.non_ascii || std::str::from_utf8(&b[vs..ve]).is_ok();
                        match trim(b, vs, ve) {
                            Some(span) if valid => spans[f as usize] = span,
                            _ => return Ok(false),
                        }
                    }
                    p = next;
                }
            }
        }
        if para != 0 {
            debug_assert!(last, "a piece ended inside a paragraph");
            self.close(b, para, &mut spans)?;
        }
        self.line = line;
        Ok(true)
    }

    /// Where the parser is, for [`Parser::rollback`].
    fn mark(&self) -> Mark {
        Mark {
            data: self.blocks[0].len(),
            entries: self.entries.len(),
            line: self.line,
        }
    }

    /// Forgets what was parsed since `mark`.
    fn rollback(&mut self, mark: Mark) {
        self.blocks[0].truncate(mark.data);
        self.entries.truncate(mark.entries);
        self.line = mark.line;
    }

    /// Ends a paragraph: checks the required fields and appends its kept values.
    #[inline]
    fn close(
        &mut self,
        b: &[u8],
        para: u32,
        spans: &mut [(usize, usize); NFIELDS],
    ) -> Result<(), Deb822Error> {
        for req in [PkgField::Package, PkgField::Version, PkgField::Architecture] {
            let (s, e) = spans[req as usize];
            if s == e {
                let reason = format!("stanza without a {} field", req.name());
                return Err(self.error(para, reason));
            }
        }
        let added: usize = spans.iter().map(|(s, e)| e - s).sum();
        let data = &mut self.blocks[0];
        if data.len() + added > u32::MAX as usize {
            return Err(self.error(0, "index larger than 4 GiB".into()));
        }
        let start = data.len() as u32;
        let mut ends = [0u32; NFIELDS];
        // room for the values plus one short copy's overrun (see below)
        data.reserve(added + SHORT);
        // SAFETY: only valid UTF-8 is appended, so `data` stays a `String`: each span is a
        // value trimmed at ASCII bytes or char boundaries, of text that is valid UTF-8 or whose
        // span `piece` checked (a span that is not valid UTF-8 never reaches here).
        let bytes = unsafe { data.as_mut_vec() };
        let mut len = bytes.len();
        let dst = bytes.as_mut_ptr();
        for (end, span) in ends.iter_mut().zip(spans.iter_mut()) {
            let (s, e) = *span;
            if e > s {
                debug_assert!(std::str::from_utf8(&b[s..e]).is_ok());
                // Most values are short: copy a fixed SHORT bytes (two vector moves, no call)
                // when the text has them, and count only the value's length.
                let n = if e - s <= SHORT && s + SHORT <= b.len() {
                    SHORT
                } else {
                    e - s
                };
                // SAFETY: `s..s + n` is inside `b` (checked above or `n = e - s`), and
                // `len + n <= len(before) + added + SHORT <= capacity` (reserved above), as
                // `len` grows by exactly the values' lengths, which sum to `added`; the two
                // buffers are distinct allocations.
                unsafe { std::ptr::copy_nonoverlapping(b.as_ptr().add(s), dst.add(len), n) };
                len += e - s;
                *span = (0, 0);
            }
            *end = len as u32;
        }
        // SAFETY: `len` bytes are initialised: the old ones and the values just copied (bytes
        // an overrun wrote past `len` are not part of the string).
        unsafe { bytes.set_len(len) };
        self.entries.push(RawEntry {
            line: para,
            block: self.block,
            start,
            ends,
        });
        Ok(())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const STANZAS: &str = "\
Package: docker-ce-cli
Architecture: arm64
Version: 5:20.10.9~3-0~debian-buster
Priority: optional
Source: docker-ce
Depends: libc6 (>= 2.17)
Conflicts: docker (<< 1.5~), docker-engine
Breaks: docker-ce (<< 5:0)
Filename: dists/buster/pool/stable/arm64/docker-ce-cli_20.10.9~3-0~debian-buster_arm64.deb
Size: 34713030
SHA256: ad3ad77dc329927902bfc6340b4b54578a684a822a5efd7d8e3013cab0b5b41b
Description: Docker CLI
 long text
 .

Package: docker-buildx-plugin
Version: 0.10.2-1~debian.10~buster
Architecture: arm64
Source: docker-ce (5:23.0.1-1~debian.10~buster)
";

    #[test]
    fn parses_fields_without_copying() {
        let idx = PackageIndex::parse(STANZAS.to_string(), "Packages").unwrap();
        assert_eq!(idx.len(), 2);
        let p: Vec<_> = idx.iter().collect();
        assert_eq!(p[0].name(), "docker-ce-cli");
        assert_eq!(p[0].version(), "5:20.10.9~3-0~debian-buster");
        assert_eq!(p[0].source(), ("docker-ce", "5:20.10.9~3-0~debian-buster"));
        assert_eq!(p[0].get(PkgField::Breaks), Some("docker-ce (<< 5:0)"));
        assert_eq!(p[0].size(), Some(34713030));
        assert_eq!(p[0].get(PkgField::Recommends), None);
        assert_eq!(p[0].line(), 1);
        assert_eq!(p[1].line(), 16);
        assert_eq!(p[1].source(), ("docker-ce", "5:23.0.1-1~debian.10~buster"));
    }

    #[test]
    fn missing_required_field_names_the_stanza_line() {
        let err =
            PackageIndex::parse("Package: a\nVersion: 1\n\nPackage: b\n".into(), "P").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.contains("Architecture"), "{err}");
        let err = PackageIndex::parse(
            "Package: a\nVersion: 1\nArchitecture: all\n\nVersion: 2\nArchitecture: all\n".into(),
            "P",
        )
        .unwrap_err();
        assert_eq!(
            (err.line, err.reason.as_str()),
            (5, "stanza without a Package field")
        );
    }

    #[test]
    fn field_names_are_case_insensitive() {
        for (f, &field) in ALL.iter().enumerate() {
            assert_eq!(field as usize, f);
            assert_eq!(PkgField::from_name(field.name()), Some(field));
            assert_eq!(
                PkgField::from_name(&field.name().to_lowercase()),
                Some(field)
            );
        }
        assert_eq!(PkgField::from_name("Description"), None);
    }

    /// The reference: the deb822 scanner, collecting what the old span-based index kept.
    type Fields = Vec<(usize, Vec<Option<String>>)>;

    fn reference(text: &str) -> Result<Fields, Deb822Error> {
        use crate::deb822::{Event, Scanner};
        let mut out = Vec::new();
        let mut cur: Vec<Option<String>> = vec![None; NFIELDS];
        let mut first = 0;
        for ev in Scanner::new(text, "P") {
            match ev? {
                Event::Field { name, value, line } => {
                    if let Some(f) = PkgField::from_name(name) {
                        cur[f as usize] = (!value.is_empty()).then(|| value.to_string());
                    }
                    if first == 0 {
                        first = line;
                    }
                }
                Event::End { line } => {
                    for req in [PkgField::Package, PkgField::Version, PkgField::Architecture] {
                        if cur[req as usize].is_none() {
                            return Err(Deb822Error {
                                file: "P".into(),
                                line,
                                reason: format!("stanza without a {} field", req.name()),
                            });
                        }
                    }
                    out.push((first, std::mem::replace(&mut cur, vec![None; NFIELDS])));
                    first = 0;
                }
            }
        }
        Ok(out)
    }

    fn fields(idx: &PackageIndex) -> Fields {
        idx.iter()
            .map(|p| {
                let v = ALL.iter().map(|&f| p.get(f).map(str::to_string)).collect();
                (p.line(), v)
            })
            .collect()
    }

    const ALL: [PkgField; NFIELDS] = PkgField::ALL;

    /// `raw` fed to an [`IndexBuilder`] (with `size_hint`) in chunks of `size` bytes, up to the
    /// first error, then finished.
    fn streamed(
        raw: &[u8],
        size: usize,
        size_hint: Option<u64>,
    ) -> Result<PackageIndex, Deb822Error> {
        let mut b = IndexBuilder::new("P", size_hint);
        for chunk in raw.chunks(size) {
            b.push(chunk)?;
        }
        b.finish()
    }

    #[test]
    fn all_fields_are_listed_once_in_declaration_order() {
        for (i, f) in PkgField::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "{f:?}");
        }
    }

    /// Texts that exercise every rule of the syntax; some are errors.
    fn tricky() -> Vec<String> {
        let mut v: Vec<String> = [
            STANZAS,
            "\u{feff}Package: a\nVersion: 1\nArchitecture: all\n",
            "Package: a\r\nVersion: 1\r\nArchitecture: all\r\nDepends: b,\r\n c\r\n\r\nPackage: b\r\nVersion: 2\r\nArchitecture: all\r\n",
            "# comment\nPackage: a\nVersion: 1\n# inside\nArchitecture: all\n \t\n\n\nPackage: b\nversion:  2 \nARCHITECTURE:all\nDescription: x\n more\n .\n\n",
            "Package: a\nVersion: 1\nArchitecture: all\nDepends: x,\n y,\n\tz\nDepends: over\n",
            "Package: a\nVersion: 1\nArchitecture: all\nProvides:\nSource: \u{a0}s (1)\u{3000}\n",
            "Package: a\nVersion: 1\nArchitecture: all\n \r \r\nPackage: b\n",
            "Package: a\nVersion: 1\nArchitecture: all\n\n continuation\n",
            "Package: a\nVersion: 1\nArchitecture: all\n\nno colon here\n",
            "Package: a\nVersion: 1\nArchitecture: all\n\nbad name: x\n",
            "Package: a\nVersion: 1\nArchitecture: all\n\n: x\n",
            "Package: a\nVersion: 1\n\nPackage: b\n",
            "Package: a\nVersion: 1\nArchitecture: all\n\nVersion: 2\nArchitecture: all\n\nPackage: c\n",
            "Package: a\nVersion: 1\nArchitecture: all\r",
            "Package: a\nVersion: 1\nArchitecture: all\n\r",
            "Package: a\nVersion: 1\nArchitecture: all\n#x\n y\n",
            "Package:\nVersion: 1\nArchitecture: all\n",
            "Package: a\nVersion: 1\nArchitecture: all\nDescription: \u{e9}t\u{e9}\n caf\u{e9}\n",
            "",
            "\n\n\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // a big one, to go through the parallel path
        let mut big = String::new();
        for i in 0..4000 {
            big.push_str(&format!(
                "Package: p{i}\nVersion: 1.{i}\nArchitecture: amd64\nDescription: d\n long {i}\nDepends: q{i} (>= 1)\n\n"
            ));
        }
        v.push(big.clone());
        big.push_str("Package: tail\nVersion: 1\n\n");
        v.push(big.clone());
        v.push(big.replace('\n', "\r\n"));
        v
    }

    #[test]
    fn parse_agrees_with_the_scanner() {
        for text in tricky() {
            let want = reference(&text);
            let got = PackageIndex::parse(text.clone(), "P").map(|i| fields(&i));
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn parallel_parse_matches_one_piece() {
        let text = tricky().into_iter().nth_back(2).unwrap();
        assert!(text.len() >= PARALLEL_MIN / 4);
        let big = text.repeat(5);
        assert!(big.len() >= PARALLEL_MIN);
        let whole = PackageIndex::parse(big.clone(), "P").unwrap();
        let mut one = Parser::new("P", 0, big.len());
        assert!(one.piece(big.as_bytes(), true, true).unwrap());
        let one = one.finish();
        assert_eq!(fields(&whole), fields(&one));
        assert_eq!(whole.len(), 20_000);
        assert_eq!(whole.iter().last().unwrap().line(), 5 * 4000 * 7 - 6);
        // an error in the last part names its line in the whole text
        let bad = format!("{big}oops\n");
        let err = PackageIndex::parse(bad, "P").unwrap_err();
        assert_eq!(err.line, 5 * 4000 * 7 + 1);
    }

    #[test]
    fn builder_agrees_at_every_chunk_size() {
        for text in tricky() {
            let want = reference(&text);
            for size in [1, 2, 3, 5, 7, 64, 1000, 1 << 20] {
                if size < 64 && text.len() > 10_000 {
                    continue;
                }
                let got =
                    streamed(text.as_bytes(), size, Some(text.len() as u64)).map(|i| fields(&i));
                assert_eq!(got, want, "chunks of {size}: {text:?}");
            }
        }
    }

    #[test]
    fn builder_replaces_invalid_utf8_like_from_utf8_lossy() {
        let raw = b"Package: a\nVersion: 1\nArchitecture: all\nDepends: x\xe2\x82\n\nPackage: b\xff\nVersion: 1\nArchitecture: all\n";
        let want = PackageIndex::parse(String::from_utf8_lossy(raw).into_owned(), "P").unwrap();
        for size in [1, 2, 3, 4, 50] {
            let got = streamed(raw, size, None).unwrap();
            assert_eq!(fields(&got), fields(&want), "chunks of {size}");
        }
        let p: Vec<_> = want.iter().collect();
        assert_eq!(p[0].get(PkgField::Depends), Some("x\u{fffd}"));
        assert_eq!(p[1].name(), "b\u{fffd}");
    }

    #[test]
    fn builder_checks_utf8_of_kept_values_only_where_it_matters() {
        // invalid bytes in a continuation line, at a value's edges, next to Unicode spaces, in
        // dropped fields and in a comment: the result is that of the lossily converted text
        let raw: &[u8] = b"Package: a\nVersion: 1\nArchitecture: all\nDepends: x,\n y\xff,\n z\nDescription: \xc3\n\n\
Package: \xa0b\nVersion: 1\xe2\x82\nArchitecture: all\nProvides: \xc2\xa0p\xc2\xa0\n# \xff\n\n\
Package: c\xc3\xa9\nVersion: 2\nArchitecture: all\nMaintainer: \xff\n";
        let want = PackageIndex::parse(String::from_utf8_lossy(raw).into_owned(), "P").unwrap();
        assert_eq!(want.len(), 3);
        for size in [1, 2, 3, 5, 17, 64, 1000] {
            let got = streamed(raw, size, None).unwrap();
            assert_eq!(fields(&got), fields(&want), "chunks of {size}");
        }
        let p: Vec<_> = want.iter().collect();
        assert_eq!(p[0].get(PkgField::Depends), Some("x,\n y\u{fffd},\n z"));
        assert_eq!(p[1].name(), "\u{fffd}b");
        assert_eq!(p[1].get(PkgField::Provides), Some("p"));
        assert_eq!(p[2].name(), "c\u{e9}");
        // an error after an invalid value names its line, as in the converted text
        let bad = [raw, b"\nno colon \xff\n"].concat();
        let want = PackageIndex::parse(String::from_utf8_lossy(&bad).into_owned(), "P");
        let got = streamed(&bad, bad.len(), None);
        let (want, got) = (want.unwrap_err(), got.unwrap_err());
        assert_eq!((got.line, &got.reason), (want.line, &want.reason));
        assert!(want.reason.contains("no colon \u{fffd}"), "{want}");
    }

    #[test]
    fn line_masks_match_a_byte_loop() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut block = [0u8; 64];
        for round in 0..2000 {
            for c in block.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // mostly text, some line ends, some high bytes, some near-misses (0x0b, 0x8a)
                *c = match x % 16 {
                    0 => b'\n',
                    1 => 0x0b,
                    2 => 0x8a,
                    3 => 0x80 | (x >> 8) as u8,
                    4 => 0x09,
                    _ => b'a' + (x >> 8) as u8 % 26,
                };
            }
            if round % 7 == 0 {
                block[63] = b'\n';
            }
            let mut want = (0u64, 0u64);
            for (i, &c) in block.iter().enumerate() {
                want.0 |= u64::from(c == b'\n') << i;
                want.1 |= u64::from(c >= 0x80) << i;
            }
            assert_eq!(block_masks(&block), want, "{block:?}");
            assert_eq!(block_masks_swar(&block), want, "{block:?}");
        }
        // `Lines::end` over every start position of a text with lines of all lengths
        let text: Vec<u8> = (0..300)
            .flat_map(|i| {
                let mut l = vec![if i % 5 == 0 { 0xc3 } else { b'x' }; i % 150];
                l.push(b'\n');
                l
            })
            .collect();
        for from in 0..text.len() + 2 {
            let mut lines = Lines::new(&text);
            let e = lines.end(from);
            let want = memchr::memchr(b'\n', text.get(from..).unwrap_or_default())
                .map_or(text.len(), |i| from + i);
            assert_eq!(e, want, "from {from}");
            let non_ascii = text
                .get(from..e)
                .unwrap_or_default()
                .iter()
                .any(|&c| c >= 0x80);
            assert_eq!(lines.non_ascii, non_ascii, "from {from}");
        }
    }

    #[test]
    fn compact_form_round_trips_and_refuses_damage() {
        let text = tricky().into_iter().nth_back(2).unwrap().repeat(5);
        let idx = PackageIndex::parse(text.clone(), "P").unwrap();
        assert!(idx.blocks.len() > 1 || std::thread::available_parallelism().unwrap().get() == 1);
        let mut buf = Vec::new();
        let n = idx.write_compact(text.len() as u64, &mut buf).unwrap();
        assert_eq!(n as usize, buf.len());
        let (back, size) = PackageIndex::read_compact(&buf[..]).unwrap();
        assert_eq!(size, text.len() as u64);
        assert_eq!(fields(&back), fields(&idx));
        // truncated, one flipped byte anywhere, another format version: all refused
        assert!(PackageIndex::read_compact(&buf[..buf.len() - 1]).is_err());
        assert!(PackageIndex::read_compact(&buf[..0]).is_err());
        for at in [0, buf.len() / 2, buf.len() - 30, buf.len() - 1] {
            let mut bad = buf.clone();
            bad[at] ^= 0x40;
            let err = PackageIndex::read_compact(&bad[..]).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "byte {at}");
        }
        let empty = PackageIndex::parse(String::new(), "P").unwrap();
        let mut buf = Vec::new();
        empty.write_compact(0, &mut buf).unwrap();
        assert!(PackageIndex::read_compact(&buf[..]).unwrap().0.is_empty());
    }

    #[test]
    fn kept_bytes_exclude_dropped_fields() {
        let idx = PackageIndex::parse(STANZAS.to_string(), "Packages").unwrap();
        let kept: usize = idx
            .iter()
            .flat_map(|p| ALL.iter().filter_map(move |&f| p.get(f)))
            .map(str::len)
            .sum();
        assert_eq!(idx.kept_bytes(), kept);
        assert!(!idx.blocks[0].contains("long text"));
    }

    #[test]
    fn a_leading_bom_is_skipped_on_both_paths_small_and_split() {
        for n in [3usize, 40_000] {
            let text: String = (0..n)
                .map(|i| format!("Package: p{i}\nVersion: 1.{i}\nArchitecture: all\n\n"))
                .collect();
            assert_eq!(
                n > 3,
                text.len() >= PARALLEL_MIN,
                "the large case takes the split path"
            );
            let with_bom = format!("\u{feff}{text}");
            let plain = PackageIndex::parse(text.clone(), "P").unwrap();
            let bom = PackageIndex::parse(with_bom.clone(), "P").unwrap();
            assert_eq!(bom.len(), n);
            assert_eq!(bom.iter().next().unwrap().name(), "p0");
            let names =
                |i: &PackageIndex| i.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
            assert_eq!(names(&bom), names(&plain));
            let streamed = streamed(with_bom.as_bytes(), with_bom.len(), None).unwrap();
            assert_eq!(names(&streamed), names(&plain));
        }
    }
}
