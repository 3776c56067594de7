//! Index compression formats and decompression.

use std::io::Read;

/// A compression format of a Packages index, as named by its file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compression {
    /// `Packages.gz`
    Gz,
    /// `Packages.xz`
    Xz,
    /// `Packages` (uncompressed)
    None,
    /// `Packages.bz2`
    Bz2,
}

impl Compression {
    /// Variants in order of preference: cheapest to decode first among the small ones. gzip
    /// decodes about 3x faster than xz for a 25–50% larger download; an uncompressed index
    /// needs no decoding but is 4–6x larger; bzip2 is the slowest to decode. apt's default
    /// order puts xz first (smallest download); see BENCHMARKS.md for why pinlock differs.
    pub const PREFERENCE: [Compression; 4] = [
        Compression::Gz,
        Compression::Xz,
        Compression::None,
        Compression::Bz2,
    ];

    /// The file-name suffix (`""` for uncompressed).
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gz => ".gz",
            Compression::Xz => ".xz",
            Compression::None => "",
            Compression::Bz2 => ".bz2",
        }
    }

    /// A reader that decompresses what it reads from `r` (several concatenated streams are
    /// read as one, as apt does). A truncated or corrupt stream makes a read fail.
    pub fn reader<'r>(self, r: impl Read + 'r) -> Box<dyn Read + 'r> {
        match self {
            Compression::None => Box::new(r),
            Compression::Gz => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(r)),
            Compression::Bz2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        }
    }

    /// Decompresses `data` completely. A truncated or corrupt stream is an error; `size_hint`
    /// (the uncompressed size from the Release) only pre-sizes the buffer.
    #[cfg(test)]
    pub fn decompress(self, data: &[u8], size_hint: Option<u64>) -> std::io::Result<Vec<u8>> {
        let mut out =
            Vec::with_capacity(size_hint.unwrap_or(data.len() as u64 * 4).min(1 << 30) as usize);
        self.reader(data).read_to_end(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn compress(kind: Compression, data: &[u8]) -> Vec<u8> {
        match kind {
            Compression::None => data.to_vec(),
            Compression::Gz => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Bz2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }

    #[test]
    fn round_trip_and_truncation() {
        let data: Vec<u8> = (0..5_000u32)
            .flat_map(|i| format!("Package: p{i}\n\n").into_bytes())
            .collect();
        for kind in [Compression::Gz, Compression::Xz, Compression::Bz2] {
            let c = compress(kind, &data);
            assert_eq!(kind.decompress(&c, None).unwrap(), data, "{kind:?}");
            let cut = &c[..c.len() * 2 / 3];
            assert!(
                kind.decompress(cut, None).is_err(),
                "{kind:?}: truncated stream accepted"
            );
            let cut = &c[..c.len() - 1];
            assert!(
                kind.decompress(cut, None).is_err(),
                "{kind:?}: stream missing its last byte accepted"
            );
        }
    }
}
