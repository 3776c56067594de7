//! Unit tests of the index pipeline (variants, digests, decoding) and the Release checks.
use super::index::*;
use super::*;
use std::io::Write;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn entry(data: &[u8]) -> FileEntry {
    FileEntry {
        size: data.len() as u64,
        sha256: Some(sha256_hex(data)),
        sha512: None,
        weak_only_listed: false,
    }
}

fn text(n: usize) -> String {
    (0..n)
        .map(|i| format!("Package: p{i}\nVersion: 1.{i}\nArchitecture: all\nDescription: package number {i}\n\n"))
        .collect()
}

/// Runs the decoder and parser threads over `messages` as the network task would send
/// them.
fn pipeline(
    messages: Vec<BodyChunk>,
    comp: Compression,
    plain: &FileEntry,
    compressed: &FileEntry,
) -> (Decoded, Parsed) {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let (ptx, prx) = std::sync::mpsc::sync_channel(2);
    std::thread::scope(|s| {
        let limit = plain.size;
        let d = s.spawn(move || decode_body(rx, comp, compressed, limit, ptx));
        let p = s.spawn(move || parse_body(prx, "u/Packages", plain));
        for m in messages {
            tx.blocking_send(m).unwrap();
        }
        drop(tx);
        (d.join().unwrap(), p.join().unwrap())
    })
}

fn chunks(data: &[u8], size: usize) -> Vec<BodyChunk> {
    data.chunks(size)
        .map(|c| BodyChunk::Data(c.to_vec()))
        .collect()
}

#[test]
fn streamed_index_matches_parsing_the_whole_text_even_after_a_restart() {
    let t = text(3000);
    let z = gz(t.as_bytes());
    let (plain, comp) = (entry(t.as_bytes()), entry(&z));
    // a first attempt broken off mid-body, then the retry from the start
    let mut msgs = vec![BodyChunk::Start];
    msgs.extend(chunks(&z[..z.len() / 2], 1000));
    msgs.push(BodyChunk::Start);
    msgs.extend(chunks(&z, 777));
    let (d, p) = pipeline(msgs, Compression::Gz, &plain, &comp);
    assert_eq!(
        (d.size, d.digest.sha256.as_ref()),
        (comp.size, comp.sha256.as_ref())
    );
    assert!(d.error.is_none());
    assert_eq!(d.plain_size, plain.size);
    assert_eq!(p.digest.sha256, plain.sha256);
    let got = p.index.unwrap();
    let want = PackageIndex::parse(t.clone(), "x").unwrap();
    assert_eq!(got.len(), 3000);
    for (a, b) in got.iter().zip(want.iter()) {
        assert_eq!(
            (a.name(), a.version(), a.line()),
            (b.name(), b.version(), b.line())
        );
    }
}

#[test]
fn truncated_or_oversized_streams_are_reported_with_what_was_received() {
    let t = text(10_000);
    assert!(t.len() > 2 * PLAIN_CHUNK);
    let z = gz(t.as_bytes());
    let (plain, comp) = (entry(t.as_bytes()), entry(&z));
    let cut = &z[..z.len() - 10];
    let mut msgs = vec![BodyChunk::Start];
    msgs.extend(chunks(cut, 4096));
    let (d, _) = pipeline(msgs, Compression::Gz, &plain, &comp);
    assert_eq!(d.size, cut.len() as u64);
    assert_eq!(d.digest.sha256, Some(sha256_hex(cut)));
    assert!(d.error.is_some(), "truncated gzip decoded without error");
    // the Release says the text is smaller than it is: decoding stops past that size
    let small = FileEntry {
        size: 1000,
        ..plain.clone()
    };
    let mut msgs = vec![BodyChunk::Start];
    msgs.extend(chunks(&z, 4096));
    let (d, _) = pipeline(msgs, Compression::Gz, &small, &comp);
    assert!(
        d.plain_size > 1000 && d.plain_size < plain.size,
        "{}",
        d.plain_size
    );
    assert_eq!(
        d.digest.sha256, comp.sha256,
        "the whole body is still hashed"
    );
}

#[test]
fn syntax_errors_come_before_version_errors_and_name_the_line() {
    let mut t = text(500);
    t.push_str("Package: bad\nVersion: 1:2:a b!\nArchitecture: all\n\n");
    let with_version = t.clone();
    t.push_str(&text(500));
    t.push_str("no colon\n");
    for (t, syntax, want) in [(&with_version, false, 2501), (&t, true, 5005)] {
        let plain = entry(t.as_bytes());
        let mut msgs = vec![BodyChunk::Start];
        msgs.extend(chunks(t.as_bytes(), 3000));
        let (_, p) = pipeline(msgs, Compression::None, &plain, &plain);
        assert_eq!(p.digest.sha256, plain.sha256);
        match p.index.unwrap_err() {
            RepoError::InvalidVersion { line, package, .. } if !syntax => {
                assert_eq!((line, package.as_str()), (want, "bad"));
            }
            RepoError::Index(e) if syntax => assert_eq!(e.line, want),
            e => panic!("unexpected {e}"),
        }
    }
}
