//! The compact cache format of a [`PackageIndex`]: the kept values, one fixed-size record a
//! stanza, and a trailer (magic and format version, counts, the text's size, a checksum).

use std::io::{Read, Write};

use super::{PackageIndex, RawEntry, NFIELDS};

impl PackageIndex {
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
