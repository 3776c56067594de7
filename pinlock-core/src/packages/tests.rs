//! The parser against the deb822 scanner (the reference), streaming and parallel parsing
//! against one piece, the compact format round trip.

use super::scan::{block_masks, block_masks_swar, Lines, Parser};
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
fn streamed(raw: &[u8], size: usize, size_hint: Option<u64>) -> Result<PackageIndex, Deb822Error> {
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
            let got = streamed(text.as_bytes(), size, Some(text.len() as u64)).map(|i| fields(&i));
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
        let names = |i: &PackageIndex| i.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
        assert_eq!(names(&bom), names(&plain));
        let streamed = streamed(with_bom.as_bytes(), with_bom.len(), None).unwrap();
        assert_eq!(names(&streamed), names(&plain));
    }
}
