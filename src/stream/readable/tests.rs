//! Unit tests of the readable state machine alone, and a proptest over
//! chunk splits.

use super::*;
use proptest::prelude::*;

fn drain(r: &mut Readable) -> Vec<ReadableEvent> {
    std::iter::from_fn(|| r.next_event()).collect()
}

fn data(bytes: &[u8]) -> ReadableEvent {
    ReadableEvent::Data(Chunk::Bytes(bytes.to_vec()))
}

#[test]
fn a_fresh_stream_is_not_flowing_and_buffers() {
    let mut r = Readable::default();
    assert_eq!(r.flowing(), None);
    assert!(r.push(b"abc"));
    assert_eq!(r.length(), 3);
    assert!(drain(&mut r).is_empty());
    assert!(r.wants_read());
}

#[test]
fn resume_emits_resume_then_the_buffer_flows_then_end() {
    let mut r = Readable::default();
    r.push(b"ab");
    r.push(b"c");
    r.push_eof();
    // 'readable' is due at the end even with no listener (a no-op emit).
    assert_eq!(drain(&mut r), vec![ReadableEvent::Readable]);
    assert!(r.resume());
    assert!(!r.resume(), "one 'resume' per scheduling");
    assert!(r.resume_tick());
    assert!(!r.resume_tick());
    assert_eq!(
        drain(&mut r),
        vec![data(b"ab"), data(b"c"), ReadableEvent::End]
    );
    assert!(r.end_emitted());
    assert!(r.did_read());
    assert!(drain(&mut r).is_empty(), "'end' once");
}

#[test]
fn an_empty_stream_ends_without_a_consumer() {
    // net's onStreamRead: push(null); read(0) ends an empty stream.
    let mut r = Readable::default();
    r.push_eof();
    assert_eq!(
        drain(&mut r),
        vec![ReadableEvent::Readable, ReadableEvent::End]
    );
    assert_eq!(r.flowing(), None);
}

#[test]
fn end_waits_for_buffered_data() {
    let mut r = Readable::default();
    r.push(b"x");
    r.push_eof();
    assert_eq!(drain(&mut r), vec![ReadableEvent::Readable]);
    assert!(!r.end_emitted());
}

#[test]
fn pause_emits_once_and_stops_the_flow() {
    let mut r = Readable::default();
    r.resume();
    assert!(r.pause());
    assert!(!r.pause());
    assert!(r.is_paused());
    r.push(b"x");
    assert!(drain(&mut r).is_empty());
    assert!(
        !r.data_listener_added(),
        "a data listener does not undo pause()"
    );
}

#[test]
fn a_paused_stream_reads_up_to_the_high_water_mark() {
    let mut r = Readable::new(4);
    r.push(b"abc");
    assert!(r.wants_read());
    assert!(!r.push(b"de"));
    assert!(!r.wants_read());
    r.resume();
    assert!(r.wants_read(), "flowing streams always read");
}

#[test]
fn set_encoding_decodes_the_buffer_and_counts_code_units() {
    let mut r = Readable::default();
    let euro = "€".as_bytes();
    r.push(&[b'a', euro[0]]);
    r.set_encoding(Encoding::Utf8);
    assert_eq!(
        r.length(),
        1,
        "the split character waits in the new decoder"
    );
    r.push(&euro[1..]);
    assert_eq!(r.length(), 2);
    assert_eq!(r.encoding(), Some(Encoding::Utf8));
    let mut hex = Readable::default();
    hex.set_encoding(Encoding::Hex);
    hex.push(b"\x01\x02");
    assert_eq!(hex.length(), 4, "hex doubles the length");
}

#[test]
fn a_split_character_is_decoded_whole() {
    let mut r = Readable::default();
    r.set_encoding(Encoding::Utf8);
    r.resume();
    r.resume_tick();
    let euro = "€".as_bytes();
    r.push(&euro[..1]);
    assert_eq!(r.length(), 0);
    r.push(&euro[1..]);
    assert_eq!(
        drain(&mut r),
        vec![ReadableEvent::Data(Chunk::Text("€".into()))]
    );
    r.push(&euro[..2]);
    r.push_eof();
    assert_eq!(
        drain(&mut r),
        vec![
            ReadableEvent::Readable,
            ReadableEvent::Data(Chunk::Text("\u{fffd}".into())),
            ReadableEvent::End
        ]
    );
}

#[test]
fn paused_mode_announces_data_and_read_takes_it() {
    let mut r = Readable::default();
    r.readable_listener_added();
    assert_eq!(r.flowing(), Some(false));
    assert!(r.read(None).is_none());
    r.push(b"hel");
    r.push(b"lo");
    assert_eq!(drain(&mut r), vec![ReadableEvent::Readable]);
    assert_eq!(r.read(Some(2)), Some(Chunk::Bytes(b"he".to_vec())));
    assert_eq!(r.read(Some(9)), None, "not enough and not ended");
    assert_eq!(r.read(None), Some(Chunk::Bytes(b"llo".to_vec())));
    assert_eq!(r.read(None), None);
    r.push(b"!");
    r.push_eof();
    assert_eq!(drain(&mut r), vec![ReadableEvent::Readable]);
    assert!(!r.end_emitted(), "'end' waits for the last read");
    assert_eq!(r.read(Some(9)), Some(Chunk::Bytes(b"!".to_vec())));
    assert_eq!(drain(&mut r), vec![ReadableEvent::End]);
}

#[test]
fn resume_with_a_readable_listener_does_not_flow() {
    let mut r = Readable::default();
    r.readable_listener_added();
    r.resume();
    assert_eq!(r.flowing(), Some(false));
}

#[test]
fn destroy_keeps_the_error_and_aborts() {
    let mut r = Readable::default();
    r.push(b"x");
    r.destroy(Some(&Error::plain("ECONNRESET", "reset")));
    assert!(r.aborted());
    assert_eq!(r.errored().map(Error::code), Some("ECONNRESET"));
    assert!(!r.push(b"y"));
    r.undestroy();
    assert!(!r.aborted());
    assert_eq!(r.length(), 0);
}

/// Splits `input` at the given cut points (sorted, deduplicated).
fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut parts = Vec::new();
    let mut at = 0;
    for c in cuts.into_iter().chain([input.len()]) {
        parts.push(&input[at..c]);
        at = c;
    }
    parts
}

/// How a consumer takes the data.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Flowing,
    /// `'readable'` listener and `read(size)`.
    Paused(Option<usize>),
}

/// Feeds `parts` into a stream read in `mode`, the way the socket task
/// does (push, then hand out events), and returns the bytes delivered
/// and the number of `'end'`s.
fn deliver(parts: &[&[u8]], mode: Mode, encoding: Option<Encoding>) -> (Vec<u8>, usize) {
    let mut r = Readable::new(8);
    if let Some(e) = encoding {
        r.set_encoding(e);
    }
    match mode {
        Mode::Flowing => {
            r.resume();
            r.resume_tick();
        }
        Mode::Paused(_) => r.readable_listener_added(),
    }
    let (mut out, mut ends) = (Vec::new(), 0);
    let mut step = |r: &mut Readable| {
        while let Some(e) = r.next_event() {
            match e {
                ReadableEvent::Data(c) => out.extend_from_slice(c.as_bytes()),
                ReadableEvent::End => ends += 1,
                ReadableEvent::Readable => {
                    if let Mode::Paused(size) = mode {
                        while let Some(c) = r.read(size) {
                            out.extend_from_slice(c.as_bytes());
                        }
                    }
                }
            }
        }
    };
    for part in parts {
        r.push(part);
        step(&mut r);
    }
    r.push_eof();
    step(&mut r);
    (out, ends)
}

proptest! {
    #[test]
    fn any_split_delivers_the_same_bytes_and_one_end(
        input in proptest::collection::vec(any::<u8>(), 0..64),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        size in proptest::option::of(1usize..12),
        flowing in any::<bool>(),
    ) {
        let mode = if flowing { Mode::Flowing } else { Mode::Paused(size) };
        let (out, ends) = deliver(&split(&input, &cuts), mode, None);
        prop_assert_eq!(out, input);
        prop_assert_eq!(ends, 1);
    }

    #[test]
    fn any_split_of_text_decodes_the_same(
        text in "\\PC{0,24}",
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        flowing in any::<bool>(),
    ) {
        let input = text.as_bytes();
        let mode = if flowing { Mode::Flowing } else { Mode::Paused(None) };
        let (out, ends) = deliver(&split(input, &cuts), mode, Some(Encoding::Utf8));
        prop_assert_eq!(String::from_utf8(out).unwrap(), text);
        prop_assert_eq!(ends, 1);
    }
}
