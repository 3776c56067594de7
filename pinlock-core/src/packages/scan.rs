//! The Packages parser: line ends from per-block bit masks, field names matched by length and
//! first byte, the kept values copied into one block per [`Parser`]; and the paragraph
//! boundaries (empty lines) at which a text is split into parts or chunks.

use memchr::memmem;

use super::{Blocks, PackageIndex, PkgField, RawEntry, NFIELDS};
use crate::deb822::Deb822Error;

pub(super) fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix("\u{feff}".as_bytes()).unwrap_or(b)
}

/// The end of the last paragraph boundary (an empty line, LF or CRLF) in `b`: the text before
/// it holds only complete paragraphs. `None` when `b` has no empty line.
pub(super) fn last_boundary(b: &[u8]) -> Option<usize> {
    if let Some(i) = memmem::rfind(b, b"\n\n") {
        return Some(i + 2);
    }
    memmem::rfind(b, b"\n\r\n").map(|i| i + 3)
}

/// The end of the first paragraph boundary in `tail` followed by `chunk`, as an offset into
/// `tail`; only boundaries that end inside `chunk` count (`tail` was searched before).
pub(super) fn first_boundary(tail: &[u8], chunk: &[u8]) -> Option<usize> {
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
pub(super) fn split_parts(text: &str, n: usize) -> Vec<&str> {
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
pub(super) fn eq_short(a: &[u8], b: &[u8]) -> bool {
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
pub(super) struct Lines<'a> {
    b: &'a [u8],
    /// The block whose masks are loaded (`usize::MAX`: none yet).
    blk: usize,
    nl: u64,
    hi: u64,
    /// Set when a byte passed by [`Lines::end`] since it was last cleared is not ASCII.
    pub(super) non_ascii: bool,
}

impl<'a> Lines<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
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
    pub(super) fn end(&mut self, from: usize) -> usize {
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
pub(super) fn block_masks(c: &[u8; 64]) -> (u64, u64) {
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
pub(super) fn block_masks(c: &[u8; 64]) -> (u64, u64) {
    block_masks_swar(c)
}

/// [`block_masks`] a word at a time, without vector instructions (other architectures; tests
/// compare the two).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn block_masks_swar(c: &[u8; 64]) -> (u64, u64) {
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
pub(super) struct Mark {
    data: usize,
    entries: usize,
    line: u32,
}

/// The parser: appends the kept values of complete paragraphs to one block.
pub(super) struct Parser {
    pub(super) file: String,
    pub(super) block: u32,
    /// One block, the one being filled.
    pub(super) blocks: Blocks,
    pub(super) entries: Vec<RawEntry>,
    /// Lines consumed so far.
    pub(super) line: u32,
}

impl Parser {
    pub(super) fn new(file: &str, block: u32, text_len: usize) -> Self {
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

    pub(super) fn finish(mut self) -> PackageIndex {
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
    pub(super) fn piece(&mut self, b: &[u8], last: bool, utf8: bool) -> Result<bool, Deb822Error> {
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
    pub(super) fn mark(&self) -> Mark {
        Mark {
            data: self.blocks[0].len(),
            entries: self.entries.len(),
            line: self.line,
        }
    }

    /// Forgets what was parsed since `mark`.
    pub(super) fn rollback(&mut self, mark: Mark) {
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
